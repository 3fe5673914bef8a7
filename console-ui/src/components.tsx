import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';
import type { ApiError } from './api';
import type { InboxStatus } from './types';

export function ErrorNote({ error, title }: { error: ApiError | string | null; title?: string }) {
  if (error === null) return null;
  const message = typeof error === 'string' ? error : error.message;
  return (
    <div class="note note-error" role="alert">
      {title ? <strong>{title}: </strong> : null}
      {message}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

const STATUS_LABEL: Record<InboxStatus, string> = {
  pending: 'pending',
  processing: 'processing',
  synced: 'synced',
  retrying: 'retrying',
  skipped: 'skipped',
  dead: 'dead letter',
};

export function StatusBadge({ status }: { status: InboxStatus }) {
  return <span class={`badge badge-${status}`}>{STATUS_LABEL[status] ?? status}</span>;
}

/** A link out of the console (HubSpot): a new tab, telling a screen-reader user so. */
export function ExternalLink({ href, children }: { href: string; children: ComponentChildren }) {
  return (
    <a href={href} target="_blank" rel="noopener noreferrer">
      {children}
      <span class="visually-hidden"> (opens in a new tab)</span>
    </a>
  );
}

export function PageTitle({ children }: { children: ComponentChildren }) {
  return <h1 id="page-title">{children}</h1>;
}

/**
 * A modal confirmation (`<dialog>`): focus starts on Cancel, stays inside while open, Escape cancels, and focus
 * goes back to the control that opened it.
 */
export function ConfirmDialog({
  open,
  title,
  confirmLabel,
  onConfirm,
  onCancel,
  children,
}: {
  open: boolean;
  title: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  children: ComponentChildren;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const titleId = useId();
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      element.showModal();
    } else if (!open && element.open) {
      element.close();
    }
  }, [open]);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    const closed = () => {
      if (opener.current?.isConnected) opener.current.focus();
      opener.current = null;
    };
    // Escape: the browser closes the dialog; the page must hear it was cancelled.
    const cancelled = (event: Event) => {
      event.preventDefault();
      onCancel();
    };
    element.addEventListener('close', closed);
    element.addEventListener('cancel', cancelled);
    return () => {
      element.removeEventListener('close', closed);
      element.removeEventListener('cancel', cancelled);
    };
  }, [onCancel]);
  return (
    <dialog ref={dialog} aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {children}
      <div class="actions">
        <button type="button" onClick={onCancel} autoFocus>
          Cancel
        </button>
        <button type="button" class="primary" onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
