/* sluice config export [FILE] | import FILE [--dry-run] [--force]; sluice user ... */
import { readFileSync, writeFileSync } from 'node:fs';
import { UsageError, noMoreThan, parse, positional } from './args.js';
import { connect, connectWith } from './connection.js';
import { importPreviewText } from './import-preview.js';
import { readPasswords } from './password-input.js';
import { emit } from './output.js';
import { formatTable, formatTime } from './table.js';

export const CONFIG_USAGE = `sluice config export [FILE]          (YAML for .yaml/.yml, JSON otherwise; stdout without FILE)
  sluice config import FILE [--dry-run] [--force]    (--dry-run: every change it would make, named, and every reason it would be refused; changes nothing)`;
export const CONFIG_VERBS = ['export', 'import'] as const;
export const USER_USAGE = `sluice user ls
  sluice user add NAME --role viewer|operator|admin   (password read from stdin)
  sluice user set NAME [--role R] [--password]          (--password: new password from stdin)
  sluice user passwd NAME                                (your own password: current, then new, asked on a terminal or one a line from stdin;
                                                         logs in as NAME, so any role may, and ends NAME's other sessions)
  sluice user rm NAME
  sluice user unlock [NAME] [--source ADDRESS]        (end a failed-login lock early)`;
export const USER_VERBS = ['ls', 'list', 'add', 'set', 'passwd', 'rm', 'remove', 'unlock'] as const;

/** Returns the exit code: 1 for a dry run that would be refused, so a script can stop there. */
export async function configCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const command = `config ${verb ?? ''}`.trimEnd();
  const { values, positionals } = parse(rest, { 'dry-run': { type: 'boolean', default: false }, force: { type: 'boolean', default: false } }, command);
  const client = await connect(values);
  if (verb === 'export') {
    noMoreThan(positionals, 1, command);
    const document = await client.config.export.query();
    const file = positionals[0];
    /* YAML and the document's schema load only here: every other command starts without them. */
    const text = file && /\.ya?ml$/.test(file) ? (await import('../config-file.js')).configToYaml(document) : `${JSON.stringify(document, null, 2)}\n`;
    if (file) {
      writeFileSync(file, text);
      emit(values.json, { file, services: document.services.length }, () => `exported ${document.services.length} services to ${file}`);
      return 0;
    }
    process.stdout.write(text);
    return 0;
  }
  if (verb === 'import') {
    const file = positional(positionals, 0, 'FILE', CONFIG_USAGE);
    noMoreThan(positionals, 1, command);
    /* Validated here first, so a bad file is reported with its path before the agent sees it. */
    const { parseConfigText, validateConfigDocument } = await import('../config-file.js');
    const document = validateConfigDocument(parseConfigText(readFileSync(file, 'utf8'), file), file);
    const result = await client.config.import.mutate({ document, dryRun: values['dry-run'], force: values.force });
    emit(values.json, result, () => importPreviewText(file, result));
    return result.refusals.length > 0 ? 1 : 0;
  }
  throw new UsageError(`unknown config command "${verb ?? ''}"\nusage: ${CONFIG_USAGE}`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export async function userCommand(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  const command = `user ${verb ?? ''}`.trimEnd();
  const { values, positionals } = parse(rest, { role: { type: 'string' }, password: { type: 'boolean', default: false }, source: { type: 'string' } }, command);
  /* At most one NAME, none for ls. */
  noMoreThan(positionals, verb === 'ls' || verb === 'list' ? 0 : 1, command);
  /* passwd proves who it is with the current password: it needs no admin token. */
  if (verb === 'passwd') return changeOwnPassword(positional(positionals, 0, 'NAME', USER_USAGE), values);
  const client = await connect(values);
  switch (verb) {
    case 'ls':
    case 'list': {
      const users = await client.auth.listUsers.query();
      return emit(values.json, users, () =>
        formatTable(
          ['USER', 'ROLE', 'CREATED'],
          users.map((u) => [u.user, u.role, formatTime(u.createdAt)]),
        ),
      );
    }
    case 'add': {
      const user = positional(positionals, 0, 'NAME', USER_USAGE);
      if (!values.role) throw new UsageError(`user add needs --role\nusage: ${USER_USAGE}`);
      const created = await client.auth.createUser.mutate({ user, role: values.role as any, password: await readStdin() });
      return emit(values.json, created, () => `user ${created.user} added (${created.role})`);
    }
    case 'set': {
      const user = positional(positionals, 0, 'NAME', USER_USAGE);
      const updated = await client.auth.updateUser.mutate({ user, role: values.role as any, password: values.password ? await readStdin() : undefined });
      return emit(values.json, updated, () => `user ${updated.user} is ${updated.role}`);
    }
    case 'rm':
    case 'remove': {
      const user = positional(positionals, 0, 'NAME', USER_USAGE);
      const result = await client.auth.deleteUser.mutate({ user });
      return emit(values.json, result, () => `user ${user} removed`);
    }
    case 'unlock': {
      const user = positionals[0];
      if (user === undefined && values.source === undefined) throw new UsageError(`user unlock needs NAME, --source ADDRESS, or both\nusage: ${USER_USAGE}`);
      const result = await client.auth.unlockLogin.mutate({ user, source: values.source });
      const said = (what: string, cleared: boolean | null) => (cleared === null ? [] : [`${what}: ${cleared ? 'unlocked' : 'was not locked or throttled'}`]);
      return emit(values.json, result, () => [...said(`user ${user}`, result.user), ...said(`source ${values.source}`, result.source)].join('\n'));
    }
    default:
      throw new UsageError(`unknown user command "${verb ?? ''}"\nusage: ${USER_USAGE}`);
  }
}

/* Logs in as the user with the current password, changes it in that session, and logs out: other sessions of the user end. */
async function changeOwnPassword(user: string, values: { json: boolean; socket?: string; 'token-file'?: string }): Promise<void> {
  const [currentPassword, newPassword] = await readPasswords(['current password', 'new password']);
  const session = await (await connectWith(values, null)).auth.login.mutate({ user, password: currentPassword! });
  const asUser = await connectWith(values, session.token);
  const result = await asUser.auth.changePassword.mutate({ currentPassword: currentPassword!, newPassword: newPassword! }).catch(async (error: unknown) => {
    /* The refusal is what the operator needs to read; the session this command opened ends either way. */
    await asUser.auth.logout.mutate();
    throw error;
  });
  await asUser.auth.logout.mutate();
  emit(values.json, result, () => `password of ${result.user} changed; ${result.sessionsEnded} other session${result.sessionsEnded === 1 ? '' : 's'} ended`);
}
