/*
 * SLUICE_TEST_TAG (1-4 lowercase letters or digits) suffixes every test
 * network's namespace prefix and run directory, so two checkouts can run
 * their suites at once without meeting each other. Unset: the usual names.
 */
const TAG = process.env.SLUICE_TEST_TAG ?? '';
if (!/^[a-z0-9]{0,4}$/.test(TAG)) throw new Error(`SLUICE_TEST_TAG must be 0-4 lowercase letters or digits, got "${TAG}"`);

/** A namespace prefix or run directory made unique to this checkout's tag. */
export const tagged = (name: string) => `${name}${TAG}`;
