// The frame of every signed-in screen: a skip link, the header with the user menu, the navigation
// with the vault tree, and the main region.
import type { ReactNode } from 'react';
import { Button as AriaButton, Link, Menu, MenuItem, MenuTrigger, Popover, Separator } from 'react-aria-components';
import { navigate, useLocation } from '../lib/router.tsx';
import { useMe, useSession } from '../lib/session.tsx';
import { Logo } from './sign-in.tsx';
import { VaultTree } from './tree.tsx';

interface NavItem {
  href: string;
  label: string;
  show?: (role: string) => boolean;
}

const isAdmin = (r: string) => r === 'administrator';
const canAudit = (r: string) => r === 'administrator' || r === 'password_auditor';

const nav: NavItem[] = [
  { href: '/vaults', label: 'Vaults' },
  { href: '/search', label: 'Search' },
  { href: '/shared', label: 'Shared with me' },
  { href: '/trash', label: 'Trash' },
  { href: '/workflow/requests', label: 'My requests' },
  { href: '/workflow/inbox', label: 'Approvals' },
  { href: '/workflow/checkouts', label: 'Checkouts' },
  { href: '/workflow/admin-requests', label: 'Admin requests', show: isAdmin },
  { href: '/audit', label: 'Audit', show: canAudit },
  { href: '/admin/users', label: 'Administration', show: isAdmin },
  { href: '/transfer', label: 'Import / export' },
];

export function Shell({ children }: { children: ReactNode }) {
  const me = useMe();
  const loc = useLocation().split('?')[0]!;
  const active = (href: string) => (href.startsWith('/admin') ? loc.startsWith('/admin') : loc === href || loc.startsWith(`${href}/`));
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link className="brand" href="/vaults">
          <Logo /> <span>Coffer</span>
        </Link>
        <UserMenu username={me.user.username} role={me.user.role} />
      </header>
      <nav className="sidebar" aria-label="Main">
        <ul className="nav-list">
          {nav
            .filter((n) => !n.show || n.show(me.user.role))
            .map((n) => (
              <li key={n.href}>
                <Link href={n.href} className="nav-link" aria-current={active(n.href) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
        </ul>
        <VaultTree />
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

function UserMenu({ username, role }: { username: string; role: string }) {
  const { signOut, lock } = useSession();
  return (
    <MenuTrigger>
      <AriaButton className="btn btn-quiet user-button">
        <span className="avatar" aria-hidden="true">
          {username.slice(0, 1).toUpperCase()}
        </span>
        {username}
      </AriaButton>
      <Popover className="popover" placement="bottom end">
        <Menu
          className="menu"
          onAction={(k) => {
            if (k === 'signout') void signOut('Signed out.');
            else if (k === 'lock') void lock();
            else if (k === 'account') navigate('/admin/account');
          }}
        >
          <MenuItem id="who" className="menu-item muted" isDisabled textValue={role}>
            {role.replace('_', ' ')}
          </MenuItem>
          <Separator className="menu-sep" />
          <MenuItem id="account" className="menu-item">
            My account and API keys
          </MenuItem>
          <MenuItem id="lock" className="menu-item">
            Lock now
          </MenuItem>
          <MenuItem id="signout" className="menu-item">
            Sign out
          </MenuItem>
        </Menu>
      </Popover>
    </MenuTrigger>
  );
}
