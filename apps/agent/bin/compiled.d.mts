/* Types of compiled.mjs, for TypeScript callers outside apps/agent (the bench). */
export declare const MANIFESTS: string[];
export declare const STAMP: string;
export declare const INPUTS: string;
export declare function compiledIsFresh(root: string): boolean;
