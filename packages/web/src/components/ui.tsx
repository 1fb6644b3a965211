// Thin wrappers over react-aria-components: labels, errors and styles in one place. The widgets'
// keyboard, focus and ARIA behaviour is React Aria's (no hand-made widgets).
import { isCofferError } from '@coffer/sdk/client';
import type { ReactNode } from 'react';
import {
  Button as AriaButton,
  Checkbox as AriaCheckbox,
  type ButtonProps,
  Dialog,
  FieldError,
  Heading,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Menu,
  MenuItem,
  MenuTrigger,
  Modal,
  ModalOverlay,
  Popover,
  ProgressBar,
  Select,
  SelectValue,
  Text,
  TextArea,
  TextField,
  type TextFieldProps,
} from 'react-aria-components';

export function Button({
  variant = 'secondary',
  className,
  ...props
}: ButtonProps & { variant?: 'primary' | 'secondary' | 'danger' | 'quiet' }) {
  return <AriaButton {...props} className={`btn btn-${variant}${className ? ` ${className}` : ''}`} />;
}

export function Field({
  label,
  description,
  multiline,
  ...props
}: TextFieldProps & { label: string; description?: string; multiline?: boolean; placeholder?: string }) {
  const { placeholder, ...rest } = props;
  return (
    <TextField {...rest} className="field">
      <Label>{label}</Label>
      {multiline ? <TextArea placeholder={placeholder} rows={4} /> : <Input placeholder={placeholder} />}
      {description && <Text slot="description">{description}</Text>}
      <FieldError />
    </TextField>
  );
}

export function Checkbox({
  children,
  ...props
}: {
  children: ReactNode;
  isSelected?: boolean;
  onChange?: (v: boolean) => void;
  name?: string;
}) {
  return (
    <AriaCheckbox {...props} className="checkbox">
      <div className="checkbox-box" aria-hidden="true">
        <svg viewBox="0 0 18 18" aria-hidden="true">
          <polyline points="2 9 7 14 16 4" />
        </svg>
      </div>
      {children}
    </AriaCheckbox>
  );
}

export interface Option {
  id: string;
  label: string;
}

export function SelectField({
  label,
  options,
  value,
  onChange,
  isRequired,
}: {
  label: string;
  options: Option[];
  value: string | null;
  onChange: (v: string) => void;
  isRequired?: boolean;
}) {
  return (
    <Select className="field" selectedKey={value} onSelectionChange={(k) => onChange(String(k))} isRequired={isRequired}>
      <Label>{label}</Label>
      <AriaButton className="select-button">
        <SelectValue />
        <span aria-hidden="true">▾</span>
      </AriaButton>
      <Popover className="popover">
        <ListBox className="listbox" items={options}>
          {(o) => (
            <ListBoxItem id={o.id} className="listbox-item">
              {o.label}
            </ListBoxItem>
          )}
        </ListBox>
      </Popover>
    </Select>
  );
}

export interface MenuAction {
  id: string;
  label: string;
  danger?: boolean;
}

export function ActionMenu({ label, actions, onAction }: { label: string; actions: MenuAction[]; onAction: (id: string) => void }) {
  return (
    <MenuTrigger>
      <AriaButton className="btn btn-quiet icon-button" aria-label={label}>
        ⋯
      </AriaButton>
      <Popover className="popover" placement="bottom end">
        <Menu className="menu" items={actions} onAction={(k) => onAction(String(k))}>
          {(a) => (
            <MenuItem id={a.id} className={`menu-item${a.danger ? ' danger' : ''}`}>
              {a.label}
            </MenuItem>
          )}
        </Menu>
      </Popover>
    </MenuTrigger>
  );
}

/** A modal dialog, open while `isOpen`; closing (Escape, outside) calls onClose. */
export function Modalog({
  title,
  isOpen,
  onClose,
  children,
  role,
}: {
  title: string;
  isOpen: boolean;
  onClose: () => void;
  children: ReactNode;
  role?: 'dialog' | 'alertdialog';
}) {
  return (
    <ModalOverlay className="modal-overlay" isOpen={isOpen} onOpenChange={(o) => !o && onClose()} isDismissable>
      <Modal className="modal">
        <Dialog className="dialog" role={role ?? 'dialog'}>
          <Heading slot="title">{title}</Heading>
          {children}
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}

/** Asks before an action that cannot be undone: the action runs only on the confirm button. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onClose,
  isPending,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  isPending?: boolean;
}) {
  return (
    <Modalog title={title} isOpen onClose={onClose} role="alertdialog">
      {children}
      <div className="dialog-actions">
        <Button onPress={onClose}>Cancel</Button>
        <Button variant="danger" onPress={onConfirm} isPending={isPending ?? false}>
          {confirmLabel}
        </Button>
      </div>
    </Modalog>
  );
}

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <ProgressBar isIndeterminate aria-label={label} className="loading">
      <div className="spinner" aria-hidden="true" />
      <span>{label}…</span>
    </ProgressBar>
  );
}

/** The server's message and code, and the request id to quote to an operator. */
export function errorText(e: unknown): string {
  if (isCofferError(e)) return `${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="error-state" role="alert">
      <strong>Something went wrong.</strong> <span>{errorText(error)}</span>
      {isCofferError(error) && (
        <small>
          {' '}
          ({error.code}
          {error.requestId ? `, request ${error.requestId}` : ''})
        </small>
      )}
      {onRetry && (
        <Button variant="quiet" onPress={onRetry}>
          Try again
        </Button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1 id="page-title">{title}</h1>
      <div className="page-actions">{children}</div>
    </header>
  );
}

export function when(ts: string | null | undefined): string {
  if (!ts) return '—';
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toLocaleString();
}
