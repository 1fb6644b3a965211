// How the access-workflow commands show things: request states in PMP's words, times, tables.
import type { AccessRequest, RequestState } from '@coffer/sdk/client';
import { UsageError } from './cli.ts';
import { safeLine } from './terminal.ts';

/** PMP's words for the states of an access request. */
export const STATE_WORDS: Record<RequestState, string> = {
  waiting_for_approval: 'waiting for approval',
  approved: 'approved',
  checked_out: 'checked out (in use)',
  checked_in: 'checked in',
  rejected: 'rejected',
  expired: 'expired',
  cancelled: 'cancelled',
  revoked: 'revoked',
};

const STATES = Object.keys(STATE_WORDS) as RequestState[];

/** `waiting_for_approval`, `waiting for approval`, `waiting`, `checked-out`, `in use` … -> the state. */
export function parseState(raw: string): RequestState {
  const k = raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  const alias: Record<string, RequestState> = { waiting: 'waiting_for_approval', in_use: 'checked_out', canceled: 'cancelled' };
  const state = alias[k] ?? (STATES as string[]).find((s) => s === k);
  if (!state) throw new UsageError(`--state must be one of ${STATES.join(', ')} (spaces or dashes allowed), got "${raw}"`);
  return state as RequestState;
}

export const stateWords = (r: Pick<AccessRequest, 'state'>): string => STATE_WORDS[r.state] ?? r.state;

/** `2030-01-07T10:30:00.000Z` -> `2030-01-07 10:30 UTC`. */
export function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Left-aligned columns under a header; the last column is not padded. Each cell is one line (terminal.ts). */
export function table(header: string[], cells: string[][]): string {
  const rows = cells.map((r) => r.map(safeLine));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
