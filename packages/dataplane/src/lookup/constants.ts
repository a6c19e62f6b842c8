/*
 * Limits of the lookup tables, mirrored from bpf/include/sluice_shared.h.
 * The lead will read the size from the compiled object's BTF; until then
 * every builder takes the size as a parameter and only defaults to this.
 */

/*
 * Slots per service table. Prime, because a Maglev permutation
 * (offset + j * skip) mod M visits every slot only when M is prime;
 * and well above 100 x MAX_BACKENDS_PER_SERVICE so a change moves few flows.
 */
export const LOOKUP_TABLE_SIZE = 65537;

/*
 * Slots least connections compares per new flow: consecutive slots of the
 * weighted sequence from `hash % length`. The sequence keeps its period short
 * enough that such a window never runs off the end of the table.
 */
export const LEAST_CONN_CANDIDATES = 4;

/* A slot that names no backend: what an empty service's table holds. */
export const NO_BACKEND = 0xffff;

/* Backend ids are u16 slot values, and NO_BACKEND is taken. */
export const MAX_BACKEND_ID = NO_BACKEND - 1;

/* Weights travel as u16 in the API; zero is "no traffic", which means leaving the backend out. */
export const MIN_WEIGHT = 1;
export const MAX_WEIGHT = 0xffff;
