/*
 * libbpf prints its diagnostics (including the verifier log on a failed
 * load) through a printf-style hook. We take that hook once per process and
 * keep recent messages in a ring, so a DataplaneError can quote what libbpf
 * said during the call that failed instead of it going to stderr unseen.
 */
import koffi from 'koffi';
import { c } from './libc.js';
import { LIBBPF_WARN, LibbpfPrintFn, libbpf } from './libbpf.js';

export interface LibbpfMessage {
  /** Increases by one per message, so callers can ask for "everything since". */
  seq: number;
  /** 0 warn, 1 info, 2 debug (enum libbpf_print_level). */
  level: number;
  text: string;
}

/* Enough for a full failed load (map creation, relocations, verifier tail) without growing forever. */
const RING_CAPACITY = 512;
/* A verifier log can reach 16 MiB in one message; its end is where the reason is. */
const MAX_MESSAGE_CHARS = 64 * 1024;

const ring: LibbpfMessage[] = [];
let nextSeq = 0;
let installed = false;
/* The hook libbpf calls, kept to put it back after pauseLibbpfLog(). */
let hook: unknown = null;
const listeners = new Set<(message: LibbpfMessage) => void>();

function record(level: number, text: string): void {
  const message = {
    seq: nextSeq++,
    level,
    text: text.length > MAX_MESSAGE_CHARS ? `…${text.slice(-MAX_MESSAGE_CHARS)}` : text,
  };
  ring.push(message);
  if (ring.length > RING_CAPACITY) ring.shift();
  for (const listener of listeners) listener(message);
}

function onPrint(level: number, fmt: string, ap: bigint): number {
  const out: [bigint | null] = [null];
  const length = c.vasprintf(out, fmt, ap);
  if (length < 0 || out[0] === null) {
    record(level, fmt);
    return 0;
  }
  try {
    record(level, koffi.decode(out[0], 'char', length) as string);
  } finally {
    c.free(out[0]);
  }
  return 0;
}

/**
 * Route libbpf's messages into our ring. Idempotent; the callback stays
 * registered for the life of the process because libbpf keeps the pointer.
 */
export function installLibbpfLog(): void {
  if (installed) return;
  if (process.arch !== 'x64') {
    /* va_list is passed as a pointer only on x86-64; elsewhere keep libbpf's stderr output. */
    installed = true;
    return;
  }
  const callback = koffi.register(onPrint, koffi.pointer(LibbpfPrintFn));
  libbpf.libbpf_set_print(callback);
  hook = callback;
  installed = true;
}

/**
 * libbpf says nothing until the returned resume() is called. For a call on
 * another thread: each message there would wait for the main thread's loop
 * (koffi runs the hook there), so a busy loop would stall the call.
 */
export function pauseLibbpfLog(): () => void {
  if (hook === null) return () => {};
  libbpf.libbpf_set_print(null);
  return () => {
    libbpf.libbpf_set_print(hook as bigint);
  };
}

/** A position in the log; pass it to messagesSince() after a call. */
export function logMark(): number {
  return nextSeq;
}

export function messagesSince(mark: number, maxLevel = LIBBPF_WARN): LibbpfMessage[] {
  return ring.filter((m) => m.seq >= mark && m.level <= maxLevel);
}

/** The last lines libbpf warned about since `mark`, trimmed for an error message. */
export function warningTail(mark: number, maxLines = 40): string {
  const lines = messagesSince(mark, LIBBPF_WARN)
    .flatMap((m) => m.text.replace(/\n$/, '').split('\n'))
    .filter((line) => line.trim() !== '');
  return lines.slice(-maxLines).join('\n');
}

/** Observe every libbpf message (debug included), e.g. to forward to the agent's logger. */
export function onLibbpfMessage(listener: (message: LibbpfMessage) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
