/**
 * The HubSpot portal this deployment syncs: one today, keyed so that serving several is not a rewrite. Here, in
 * config (the deployment's settings), so that the store, the sync and the mapping in force all name it alike.
 */
export const DEFAULT_PORTAL = 'default';
