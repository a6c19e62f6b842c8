/*
 * koffi declarations of the libbpf 1.1 calls the agent uses, and the kernel
 * constants that go with them. Nothing here interprets results: callers turn
 * failures into DataplaneError (errors.ts).
 *
 * libbpf 1.x conventions: int-returning calls return a negative errno;
 * pointer-returning calls return NULL and set errno.
 */
import koffi from 'koffi';

export const LIBBPF_PATH = '/usr/lib/x86_64-linux-gnu/libbpf.so.1';

const lib = koffi.load(LIBBPF_PATH);

/* Opaque libbpf handles. koffi 3 gives pointers as bigint; the brands keep them apart. */
export type BpfObjectPtr = bigint & { readonly __brand: 'bpf_object' };
export type BpfMapPtr = bigint & { readonly __brand: 'bpf_map' };
export type BpfProgramPtr = bigint & { readonly __brand: 'bpf_program' };
export type BtfPtr = bigint & { readonly __brand: 'btf' };
/** A Buffer or typed array passed as a pointer to its bytes (valid during the call only). */
type Bytes = Buffer | Uint8Array | Uint32Array | null;

/* ---- Option structs, laid out as in libbpf 1.1's headers. `sz` must be their size. ---- */

export const bpf_test_run_opts = koffi.struct('bpf_test_run_opts', {
  sz: 'size_t',
  data_in: 'void *',
  data_out: 'void *',
  data_size_in: 'uint32_t',
  data_size_out: 'uint32_t',
  ctx_in: 'void *',
  ctx_out: 'void *',
  ctx_size_in: 'uint32_t',
  ctx_size_out: 'uint32_t',
  retval: 'uint32_t',
  repeat: 'int',
  duration: 'uint32_t',
  flags: 'uint32_t',
  cpu: 'uint32_t',
  batch_size: 'uint32_t',
});
export interface BpfTestRunOpts {
  sz: number;
  data_in: bigint | null;
  data_out: bigint | null;
  data_size_in: number;
  data_size_out: number;
  ctx_in: bigint | null;
  ctx_out: bigint | null;
  ctx_size_in: number;
  ctx_size_out: number;
  retval: number;
  repeat: number;
  duration: number;
  flags: number;
  cpu: number;
  batch_size: number;
}

export const bpf_xdp_attach_opts = koffi.struct('bpf_xdp_attach_opts', {
  sz: 'size_t',
  old_prog_fd: 'int',
});
export interface BpfXdpAttachOpts {
  sz: number;
  old_prog_fd: number;
}

export const bpf_map_batch_opts = koffi.struct('bpf_map_batch_opts', {
  sz: 'size_t',
  elem_flags: 'uint64_t',
  flags: 'uint64_t',
});
export interface BpfMapBatchOpts {
  sz: number;
  elem_flags: number;
  flags: number;
}

/* TC (clsact) hooks and filters, for the backend decapsulation program on interfaces without XDP. */
export const bpf_tc_hook = koffi.struct('bpf_tc_hook', {
  sz: 'size_t',
  ifindex: 'int',
  attach_point: 'int',
  parent: 'uint32_t',
});
export interface BpfTcHook {
  sz: number;
  ifindex: number;
  attach_point: number;
  parent: number;
}

export const bpf_tc_opts = koffi.struct('bpf_tc_opts', {
  sz: 'size_t',
  prog_fd: 'int',
  flags: 'uint32_t',
  prog_id: 'uint32_t',
  handle: 'uint32_t',
  priority: 'uint32_t',
});
export interface BpfTcOpts {
  sz: number;
  prog_fd: number;
  flags: number;
  prog_id: number;
  handle: number;
  priority: number;
}

/* A mismatch here would make libbpf reject or misread every opts struct. */
for (const [type, size] of [
  [bpf_test_run_opts, 80],
  [bpf_xdp_attach_opts, 16],
  [bpf_map_batch_opts, 24],
  [bpf_tc_hook, 24],
  [bpf_tc_opts, 32],
] as const) {
  if (koffi.sizeof(type) !== size) throw new Error(`${type.name} is ${koffi.sizeof(type)} bytes, libbpf 1.1 expects ${size}`);
}

/** struct xdp_md as BPF_PROG_TEST_RUN takes it in ctx_in (six u32). */
export const XDP_MD_SIZE = 24;
export const XDP_MD_INGRESS_IFINDEX_OFFSET = 12;
export const XDP_MD_RX_QUEUE_INDEX_OFFSET = 16;

/* ---- libbpf's log hook ---- */

export const LibbpfPrintFn = koffi.proto('int libbpf_print_fn(int level, const char *fmt, void *ap)');
export const LIBBPF_WARN = 0;

/* ---- Ring buffer reader: libbpf calls the sample callback once per record, inside ring_buffer__consume. ---- */

export const RingBufferSampleFn = koffi.proto('int ring_buffer_sample_fn(void *ctx, void *data, size_t size)');

/* ---- Functions ---- */

export const libbpf = {
  libbpf_set_print: lib.func('void *libbpf_set_print(libbpf_print_fn *fn)') as (fn: bigint | null) => bigint | null,
  libbpf_strerror: lib.func('int libbpf_strerror(int err, _Out_ char *buf, size_t size)') as (err: number, buf: Buffer, size: number) => number,
  libbpf_num_possible_cpus: lib.func('int libbpf_num_possible_cpus(void)') as () => number,

  bpf_map_create: lib.func('int bpf_map_create(int map_type, const char *name, uint32_t key_size, uint32_t value_size, uint32_t max_entries, void *opts)') as (
    type: number,
    name: string,
    keySize: number,
    valueSize: number,
    maxEntries: number,
    opts: null,
  ) => number,
  bpf_object__open_file: lib.func('void *bpf_object__open_file(const char *path, void *opts)') as (path: string, opts: null) => BpfObjectPtr | null,
  bpf_object__load: lib.func('int bpf_object__load(void *obj)') as ((obj: BpfObjectPtr) => number) & {
    /** On a libuv thread, the loop going on meanwhile: done gets the return value. */
    async(obj: BpfObjectPtr, done: (error: unknown, result: number) => void): void;
  },
  bpf_object__close: lib.func('void bpf_object__close(void *obj)') as (obj: BpfObjectPtr) => void,
  bpf_object__find_map_by_name: lib.func('void *bpf_object__find_map_by_name(void *obj, const char *name)') as (
    obj: BpfObjectPtr,
    name: string,
  ) => BpfMapPtr | null,
  bpf_object__next_map: lib.func('void *bpf_object__next_map(void *obj, void *map)') as (obj: BpfObjectPtr, prev: BpfMapPtr | null) => BpfMapPtr | null,
  bpf_object__find_program_by_name: lib.func('void *bpf_object__find_program_by_name(void *obj, const char *name)') as (
    obj: BpfObjectPtr,
    name: string,
  ) => BpfProgramPtr | null,
  bpf_object__pin_maps: lib.func('int bpf_object__pin_maps(void *obj, const char *path)') as (obj: BpfObjectPtr, path: string | null) => number,

  bpf_program__fd: lib.func('int bpf_program__fd(void *prog)') as (prog: BpfProgramPtr) => number,
  bpf_program__set_autoload: lib.func('int bpf_program__set_autoload(void *prog, bool autoload)') as (prog: BpfProgramPtr, autoload: boolean) => number,

  bpf_map__name: lib.func('const char *bpf_map__name(void *map)') as (map: BpfMapPtr) => string,
  bpf_map__type: lib.func('int bpf_map__type(void *map)') as (map: BpfMapPtr) => number,
  bpf_map__key_size: lib.func('uint32_t bpf_map__key_size(void *map)') as (map: BpfMapPtr) => number,
  bpf_map__value_size: lib.func('uint32_t bpf_map__value_size(void *map)') as (map: BpfMapPtr) => number,
  bpf_map__max_entries: lib.func('uint32_t bpf_map__max_entries(void *map)') as (map: BpfMapPtr) => number,
  bpf_map__set_max_entries: lib.func('int bpf_map__set_max_entries(void *map, uint32_t max_entries)') as (map: BpfMapPtr, maxEntries: number) => number,
  bpf_map__is_internal: lib.func('bool bpf_map__is_internal(void *map)') as (map: BpfMapPtr) => boolean,
  /* An internal map's (.rodata) contents before load: where `const volatile` settings live. */
  bpf_map__initial_value: lib.func('void *bpf_map__initial_value(void *map, _Out_ size_t *psize)') as (map: BpfMapPtr, size: [number]) => bigint | null,
  bpf_map__set_initial_value: lib.func('int bpf_map__set_initial_value(void *map, const void *data, size_t size)') as (
    map: BpfMapPtr,
    data: Buffer,
    size: number,
  ) => number,
  bpf_map__set_pin_path: lib.func('int bpf_map__set_pin_path(void *map, const char *path)') as (map: BpfMapPtr, path: string | null) => number,
  bpf_map__is_pinned: lib.func('bool bpf_map__is_pinned(void *map)') as (map: BpfMapPtr) => boolean,
  bpf_map__pin: lib.func('int bpf_map__pin(void *map, const char *path)') as (map: BpfMapPtr, path: string | null) => number,
  bpf_map__unpin: lib.func('int bpf_map__unpin(void *map, const char *path)') as (map: BpfMapPtr, path: string | null) => number,
  bpf_map__fd: lib.func('int bpf_map__fd(void *map)') as (map: BpfMapPtr) => number,
  bpf_map__map_flags: lib.func('uint32_t bpf_map__map_flags(void *map)') as (map: BpfMapPtr) => number,
  bpf_map__btf_key_type_id: lib.func('uint32_t bpf_map__btf_key_type_id(void *map)') as (map: BpfMapPtr) => number,
  bpf_map__btf_value_type_id: lib.func('uint32_t bpf_map__btf_value_type_id(void *map)') as (map: BpfMapPtr) => number,

  /* BTF: of an opened object (owned by it), or the kernel's copy a map was created with (ours to free). */
  bpf_object__btf: lib.func('void *bpf_object__btf(void *obj)') as (obj: BpfObjectPtr) => BtfPtr | null,
  btf__load_from_kernel_by_id: lib.func('void *btf__load_from_kernel_by_id(uint32_t id)') as (id: number) => BtfPtr | null,
  btf__raw_data: lib.func('const void *btf__raw_data(void *btf, _Out_ uint32_t *size)') as (btf: BtfPtr, size: [number]) => bigint | null,
  btf__free: lib.func('void btf__free(void *btf)') as (btf: BtfPtr) => void,
  bpf_obj_pin: lib.func('int bpf_obj_pin(int fd, const char *pathname)') as (fd: number, path: string) => number,

  bpf_obj_get: lib.func('int bpf_obj_get(const char *pathname)') as (path: string) => number,
  bpf_obj_get_info_by_fd: lib.func('int bpf_obj_get_info_by_fd(int fd, void *info, void *info_len)') as (
    fd: number,
    info: Buffer,
    infoLen: Uint32Array,
  ) => number,
  bpf_prog_get_fd_by_id: lib.func('int bpf_prog_get_fd_by_id(uint32_t id)') as (id: number) => number,
  bpf_map_get_fd_by_id: lib.func('int bpf_map_get_fd_by_id(uint32_t id)') as (id: number) => number,
  /* Points an opened (not loaded) object's map at an existing map; keeps a duplicate of fd. */
  bpf_map__reuse_fd: lib.func('int bpf_map__reuse_fd(void *map, int fd)') as (map: BpfMapPtr, fd: number) => number,

  ring_buffer__new: lib.func('void *ring_buffer__new(int map_fd, ring_buffer_sample_fn *sample_cb, void *ctx, void *opts)') as (
    mapFd: number,
    sampleCb: unknown,
    ctx: null,
    opts: null,
  ) => bigint | null,
  /* Reads every record available now without waiting: the number read, or a negative errno. */
  ring_buffer__consume: lib.func('int ring_buffer__consume(void *rb)') as (rb: bigint) => number,
  ring_buffer__free: lib.func('void ring_buffer__free(void *rb)') as (rb: bigint) => void,

  bpf_map_update_elem: lib.func('int bpf_map_update_elem(int fd, void *key, void *value, uint64_t flags)') as (
    fd: number,
    key: Bytes,
    value: Bytes,
    flags: number,
  ) => number,
  bpf_map_lookup_elem: lib.func('int bpf_map_lookup_elem(int fd, void *key, void *value)') as (fd: number, key: Bytes, value: Bytes) => number,
  bpf_map_delete_elem: lib.func('int bpf_map_delete_elem(int fd, void *key)') as (fd: number, key: Bytes) => number,
  /* Atomic under the map's bucket lock (hash and LRU hash maps: Linux 5.14 and later). */
  bpf_map_lookup_and_delete_elem: lib.func('int bpf_map_lookup_and_delete_elem(int fd, void *key, void *value)') as (
    fd: number,
    key: Bytes,
    value: Bytes,
  ) => number,
  bpf_map_get_next_key: lib.func('int bpf_map_get_next_key(int fd, void *key, void *next_key)') as (fd: number, key: Bytes, nextKey: Bytes) => number,
  bpf_map_lookup_batch: lib.func(
    'int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values, void *count, const bpf_map_batch_opts *opts)',
  ) as (fd: number, inBatch: Bytes, outBatch: Bytes, keys: Bytes, values: Bytes, count: Uint32Array, opts: BpfMapBatchOpts | null) => number,
  bpf_map_update_batch: lib.func('int bpf_map_update_batch(int fd, void *keys, void *values, void *count, const bpf_map_batch_opts *opts)') as (
    fd: number,
    keys: Bytes,
    values: Bytes,
    count: Uint32Array,
    opts: BpfMapBatchOpts | null,
  ) => number,
  bpf_map_delete_batch: lib.func('int bpf_map_delete_batch(int fd, void *keys, void *count, const bpf_map_batch_opts *opts)') as (
    fd: number,
    keys: Bytes,
    count: Uint32Array,
    opts: BpfMapBatchOpts | null,
  ) => number,

  bpf_xdp_attach: lib.func('int bpf_xdp_attach(int ifindex, int prog_fd, uint32_t flags, const bpf_xdp_attach_opts *opts)') as (
    ifindex: number,
    progFd: number,
    flags: number,
    opts: BpfXdpAttachOpts | null,
  ) => number,
  bpf_xdp_detach: lib.func('int bpf_xdp_detach(int ifindex, uint32_t flags, const bpf_xdp_attach_opts *opts)') as (
    ifindex: number,
    flags: number,
    opts: BpfXdpAttachOpts | null,
  ) => number,
  bpf_xdp_query_id: lib.func('int bpf_xdp_query_id(int ifindex, int flags, _Out_ uint32_t *prog_id)') as (
    ifindex: number,
    flags: number,
    progId: [number],
  ) => number,

  bpf_tc_hook_create: lib.func('int bpf_tc_hook_create(bpf_tc_hook *hook)') as (hook: BpfTcHook) => number,
  bpf_tc_attach: lib.func('int bpf_tc_attach(const bpf_tc_hook *hook, _Inout_ bpf_tc_opts *opts)') as (hook: BpfTcHook, opts: BpfTcOpts) => number,
  bpf_tc_detach: lib.func('int bpf_tc_detach(const bpf_tc_hook *hook, const bpf_tc_opts *opts)') as (hook: BpfTcHook, opts: BpfTcOpts) => number,
  bpf_tc_query: lib.func('int bpf_tc_query(const bpf_tc_hook *hook, _Inout_ bpf_tc_opts *opts)') as (hook: BpfTcHook, opts: BpfTcOpts) => number,

  bpf_prog_test_run_opts: lib.func('int bpf_prog_test_run_opts(int prog_fd, _Inout_ bpf_test_run_opts *opts)') as (
    progFd: number,
    opts: BpfTestRunOpts,
  ) => number,
};

/* ---- Kernel constants (linux/bpf.h, linux/if_link.h) ---- */

export const BpfMapType = {
  HASH: 1,
  ARRAY: 2,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
} as const;
export type BpfMapType = (typeof BpfMapType)[keyof typeof BpfMapType];

export function mapTypeName(type: number): string {
  for (const [name, value] of Object.entries(BpfMapType)) if (value === type) return name;
  return `type ${type}`;
}

export function isPerCpuMapType(type: number): boolean {
  return type === BpfMapType.PERCPU_ARRAY || type === BpfMapType.PERCPU_HASH || type === BpfMapType.LRU_PERCPU_HASH;
}

/** Update flags of bpf_map_update_elem. */
export const UpdateFlag = {
  /** Create or replace. */
  ANY: 0,
  /** Create only; EEXIST if the key is there. */
  NOEXIST: 1,
  /** Replace only; ENOENT if the key is missing. */
  EXIST: 2,
} as const;
export type UpdateFlag = (typeof UpdateFlag)[keyof typeof UpdateFlag];

export const XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0;
export const XDP_FLAGS_SKB_MODE = 1 << 1;
export const XDP_FLAGS_DRV_MODE = 1 << 2;
export const XDP_FLAGS_REPLACE = 1 << 4;

export const BPF_F_TEST_XDP_LIVE_FRAMES = 1 << 1;

/* enum bpf_tc_attach_point and bpf_tc_flags (libbpf.h). */
export const BPF_TC_INGRESS = 1 << 0;
export const BPF_TC_EGRESS = 1 << 1;
export const BPF_TC_F_REPLACE = 1 << 0;

export const XdpAction = {
  ABORTED: 0,
  DROP: 1,
  PASS: 2,
  TX: 3,
  REDIRECT: 4,
} as const;
export type XdpAction = (typeof XdpAction)[keyof typeof XdpAction];

/** Magic number of bpffs in statfs(2) f_type. */
export const BPF_FS_MAGIC = 0xcafe4a11;
