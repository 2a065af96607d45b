import { ROLES, type Role } from '../store/items/member.js';
import { environmentNotFound, roleForbids } from './errors.js';

/**
 * Who may do what in an environment. Pure rules, unit-tested as a whole matrix; the store
 * reads the caller's role and asks here before touching anything else.
 */
const PERMISSIONS = {
  /** List and get secret metadata. */
  readSecrets: ROLES,
  /** See the environment itself and who its members are. */
  readEnvironment: ROLES,
  /** Receive every value in a runtime; the route also demands the secrets:inject scope. */
  injectSecrets: ROLES,
  /** Remove one's own membership. */
  leave: ROLES,
  writeSecrets: ['owner', 'editor'],
  revealSecrets: ['owner', 'editor'],
  /** Check a candidate against a value without seeing it, neverReveal ones included. */
  compareSecrets: ['owner', 'editor'],
  /** End a trashed secret before its window is over. */
  purgeSecrets: ['owner'],
  manageMembers: ['owner'],
  manageEnvironment: ['owner'],
  manageTokens: ['owner'],
  readAudit: ['owner'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

/**
 * The caller's role when it grants `permission`. A non-member learns nothing, not even that
 * the environment exists (404); a member whose role falls short gets 403.
 */
export function authorize(role: Role | undefined, permission: Permission): Role {
  if (!role) throw environmentNotFound();
  const allowed: readonly Role[] = PERMISSIONS[permission];
  if (!allowed.includes(role)) throw roleForbids(role, allowed);
  return role;
}

/** Removing oneself is leaving, which every member may do; removing someone else is for owners. */
export function removalPermission(callerSub: string, memberSub: string): Permission {
  return callerSub === memberSub ? 'leave' : 'manageMembers';
}

/** How a membership change moves the environment's owner count (`undefined`: not a member). */
export function ownerDelta(from: Role | undefined, to: Role | undefined): -1 | 0 | 1 {
  if (from === to || (from !== 'owner' && to !== 'owner')) return 0;
  return to === 'owner' ? 1 : -1;
}
