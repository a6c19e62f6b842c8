/* One line per event on stderr: time, level, message. */
type Level = 'info' | 'warn' | 'error';

export function log(level: Level, message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`);
}
