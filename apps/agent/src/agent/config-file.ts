/* The declarative data-plane configuration file: JSON, validated strictly. */
import { readFileSync } from 'node:fs';
import { type DataplaneConfig, dataplaneConfigSchema } from '@sluice/api';

export class ConfigFileError extends Error {
  constructor(path: string, detail: string) {
    super(`config ${path}: ${detail}`);
    this.name = 'ConfigFileError';
  }
}

export function readConfigFile(path: string): DataplaneConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigFileError(path, (error as Error).message);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(path, `not valid JSON: ${(error as Error).message}`);
  }
  const parsed = dataplaneConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigFileError(path, problems.join('; '));
  }
  return parsed.data;
}
