import type { PasswordPolicy } from '@coffer/contracts/passwords';
import type { Approver } from '@coffer/contracts/workflow';
import type { Executor } from '../../db/database.ts';
import { type PolicyNode, policyChain } from '../vaults/policy-chain.ts';

/** A policy value and the vault or folder it comes from (null: the built-in default). */
export interface Explained<T> {
  value: T;
  source: string | null;
}

export interface WorkflowPolicy {
  requireReason: Explained<boolean>;
  approval: {
    required: Explained<boolean>;
    approvals: Explained<number>;
    approvers: Explained<Approver[]>;
    ownersToo: Explained<boolean>;
  };
  checkout: {
    exclusive: Explained<boolean>;
    maxMinutes: Explained<number>;
    rotateOnCheckin: Explained<boolean>;
    sharedRead: Explained<boolean>;
  };
  /** null when no node on the chain names a window. */
  timeWindow: { days: Explained<number[]>; from: Explained<string>; to: Explained<string> } | null;
  /** The merged password generator policy (fields left out come from above), null when none. */
  passwordPolicy: PasswordPolicy | null;
  chain: Array<{ nodeId: string; nodeType: 'vault' | 'folder'; name: string; inheritsPolicy: boolean }>;
}

export const DEFAULT_MAX_CHECKOUT_MINUTES = 120;
const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];

function defaults(): WorkflowPolicy {
  const d = <T>(value: T): Explained<T> => ({ value, source: null });
  return {
    requireReason: d(false),
    approval: { required: d(false), approvals: d(1), approvers: d([]), ownersToo: d(false) },
    checkout: {
      exclusive: d(false),
      maxMinutes: d(DEFAULT_MAX_CHECKOUT_MINUTES),
      rotateOnCheckin: d(false),
      sharedRead: d(false),
    },
    timeWindow: null,
    passwordPolicy: null,
    chain: [],
  };
}

/** Copies every field the node sets (not undefined, not null) over the inherited value. */
function overlay<T extends object>(into: { [K in keyof T]: Explained<T[K]> }, own: Partial<T> | null | undefined, source: string): void {
  if (!own) return;
  for (const [k, v] of Object.entries(own)) {
    if (v === undefined || v === null || !(k in into)) continue;
    (into as Record<string, Explained<unknown>>)[k] = { value: v, source };
  }
}

/**
 * Merges the policies of the chain from the vault down to `nodeId` (the secret's folder, or the
 * vault), field by field, exactly like requireReason and passwordPolicy: a field a node leaves out
 * (or sets to null) comes from above; a folder that does not inherit the policy starts afresh from
 * the defaults. One prepared query (or none, given the chain a caller already read).
 */
export async function workflowPolicy(exec: Executor, nodeId: string, chain?: PolicyNode[]): Promise<WorkflowPolicy> {
  return mergePolicies(chain ?? (await policyChain(exec, nodeId)));
}

/** The merge itself (pure): nodes from the vault down. */
export function mergePolicies(nodes: ReadonlyArray<PolicyNode>): WorkflowPolicy {
  let p = defaults();
  let tw: { days: Explained<number[]>; from: Explained<string>; to: Explained<string> } | null = null;
  const chain: WorkflowPolicy['chain'] = [];
  for (const n of nodes) {
    chain.push({ nodeId: n.id, nodeType: n.type, name: n.name, inheritsPolicy: n.inherits });
    if (!n.inherits) {
      p = defaults();
      tw = null;
    }
    const own = n.policy;
    if (own.requireReason !== undefined && own.requireReason !== null) p.requireReason = { value: own.requireReason, source: n.id };
    overlay(p.approval, own.approval, n.id);
    overlay(p.checkout, own.checkout, n.id);
    if (own.timeWindow) {
      tw ??= { days: { value: ALL_DAYS, source: null }, from: { value: '00:00', source: null }, to: { value: '24:00', source: null } };
      overlay(tw, own.timeWindow, n.id);
    }
    if (own.passwordPolicy !== undefined && own.passwordPolicy !== null) p.passwordPolicy = { ...p.passwordPolicy, ...own.passwordPolicy };
  }
  p.timeWindow = tw;
  p.chain = chain;
  return p;
}

/** Does the policy ask anything of a reveal beyond the reason? */
export function gatesReveal(p: WorkflowPolicy): boolean {
  return p.approval.required.value || p.checkout.exclusive.value || p.timeWindow !== null;
}

const minutesOf = (hm: string) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5));

/**
 * Inside the window at `now` (UTC)? Allowed when today's weekday is listed and from <= time < to;
 * when from > to the window spans midnight (time >= from or time < to, the weekday being today's).
 */
export function inWindow(tw: WorkflowPolicy['timeWindow'], now: number): boolean {
  if (!tw) return true;
  const d = new Date(now);
  if (!tw.days.value.includes(d.getUTCDay())) return false;
  const t = d.getUTCHours() * 60 + d.getUTCMinutes();
  const from = minutesOf(tw.from.value);
  const to = minutesOf(tw.to.value);
  return from <= to ? t >= from && t < to : t >= from || t < to;
}

export function describeWindow(tw: NonNullable<WorkflowPolicy['timeWindow']>): string {
  const names = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const days = tw.days.value.length === 7 ? 'every day' : tw.days.value.map((d) => names[d]).join(', ');
  return `${days}, ${tw.from.value}-${tw.to.value} UTC`;
}
