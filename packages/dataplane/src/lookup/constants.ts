/*
 * Limits of the lookup tables. LOOKUP_TABLE_SIZE, LEAST_CONN_CANDIDATES and
 * NO_BACKEND are bpf/include/sluice_shared.h's, generated with the layout
 * (the drift check fails when the header changes without `pnpm gen:layout`):
 *
 * - LOOKUP_TABLE_SIZE: slots per service table. Prime, because a Maglev
 *   permutation (offset + j * skip) mod M visits every slot only when M is
 *   prime; and well above 100 x the backends of a service so a change moves
 *   few flows. Every builder still takes the size as a parameter.
 * - LEAST_CONN_CANDIDATES: slots least connections compares per new flow,
 *   consecutive slots of the weighted sequence from `hash % length`. The
 *   sequence keeps its period short enough that such a window never runs off
 *   the end of the table.
 * - NO_BACKEND: a slot that names no backend, what an empty service's table holds.
 */
import { LEAST_CONN_CANDIDATES, LOOKUP_TABLE_SIZE, NO_BACKEND } from '../generated/layout.js';

export { LEAST_CONN_CANDIDATES, LOOKUP_TABLE_SIZE, NO_BACKEND };

/* Backend ids are u16 slot values, and NO_BACKEND is taken. */
export const MAX_BACKEND_ID = NO_BACKEND - 1;

/* Weights travel as u16 in the API; zero is "no traffic", which means leaving the backend out. */
export const MIN_WEIGHT = 1;
export const MAX_WEIGHT = 0xffff;
