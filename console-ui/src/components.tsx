import type { ComponentChildren } from 'preact';
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
