/*
 * The semantics of backend selection this build has (lookup fill, hash,
 * modes), part of the compat record every node of a fleet must share. Apart
 * from etcd-fleet.ts so that an agent without a fleet never loads the etcd
 * client (about 0.2 s of every start).
 */

/** Bump it with a change that would pick another backend. */
export const BACKEND_SELECTION_VERSION = 1;
