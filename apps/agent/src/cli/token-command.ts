/* sluice token list | create NAME --role R | revoke NAME: API tokens for scripts and monitoring (admin). */
import { UsageError, noMoreThan, parse, positional } from './args.js';
import { connect } from './connection.js';
import { emit } from './output.js';
import { formatTable, formatTime } from './table.js';

export const TOKEN_USAGE = `sluice token list                                 (never shows a secret)
  sluice token create NAME --role viewer|operator|admin   (prints the secret once)
  sluice token revoke NAME                         (refused from the next request on)`;
export const TOKEN_VERBS = ['list', 'ls', 'create', 'add', 'revoke', 'rm'] as const;

export async function tokenCommand(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  const command = `token ${verb ?? ''}`.trimEnd();
  const { values, positionals } = parse(rest, { role: { type: 'string' } }, command);
  const client = await connect(values);
  switch (verb) {
    case 'ls':
    case 'list': {
      noMoreThan(positionals, 0, command);
      const tokens = await client.auth.listTokens.query();
      return emit(values.json, tokens, () =>
        formatTable(
          ['TOKEN', 'ROLE', 'CREATED BY', 'CREATED', 'LAST USED'],
          tokens.map((t) => [t.name, t.role, t.createdBy ?? '-', formatTime(t.createdAt), t.lastUsedAt === null ? 'never' : formatTime(t.lastUsedAt)]),
        ),
      );
    }
    case 'create':
    case 'add': {
      const name = positional(positionals, 0, 'NAME', TOKEN_USAGE);
      noMoreThan(positionals, 1, command);
      if (!values.role) throw new UsageError(`token create needs --role\nusage: ${TOKEN_USAGE}`);
      const created = await client.auth.createToken.mutate({ name, role: values.role as any });
      return emit(values.json, created, () => `token ${created.name} (${created.role}); its secret, shown only now:\n${created.token}`);
    }
    case 'revoke':
    case 'rm': {
      const name = positional(positionals, 0, 'NAME', TOKEN_USAGE);
      noMoreThan(positionals, 1, command);
      const result = await client.auth.revokeToken.mutate({ name });
      return emit(values.json, result, () => `token ${name} revoked`);
    }
    default:
      throw new UsageError(`unknown token command "${verb ?? ''}"\nusage: ${TOKEN_USAGE}`);
  }
}
