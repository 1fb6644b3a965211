// A small History API router: the path is the only state in the URL (never a token or a secret,
// never a search string with one). Paths never start with /ui, /api or the compatibility APIs.
import { type ReactNode, useSyncExternalStore } from 'react';
import { RouterProvider } from 'react-aria-components';
import { match } from './format.ts';

const subscribers = new Set<() => void>();
function notify(): void {
  for (const s of subscribers) s();
}
window.addEventListener('popstate', notify);

function subscribe(fn: () => void): () => void {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}

const snapshot = (): string => location.pathname + location.search;

/** The current path and query (`/vaults/v_1?q=db`). */
export function useLocation(): string {
  return useSyncExternalStore(subscribe, snapshot);
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.scrollTo(0, 0);
  notify();
}

export { match };

/** React Aria's links (Link, MenuItem href, Row href) navigate through the router. */
export function AppRouter({ children }: { children: ReactNode }) {
  return (
    <RouterProvider navigate={(to) => navigate(to)} useHref={(h) => h}>
      {children}
    </RouterProvider>
  );
}

export function searchParam(name: string): string | null {
  return new URLSearchParams(location.search).get(name);
}
