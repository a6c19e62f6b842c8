/*
 * Declarative configuration files: JSON or YAML, validated strictly and
 * whole before anything is changed. The same format `sluice config export`
 * writes; the agent's older `{ services: [...] }` file is a valid one.
 */
import { readFileSync } from 'node:fs';
import { type ConfigDocument, configDocumentSchema } from '@sluice/api';
import { parse as parseYaml, stringify as toYaml } from 'yaml';

export class ConfigFileError extends Error {
  constructor(path: string, detail: string) {
    super(`config ${path}: ${detail}`);
    this.name = 'ConfigFileError';
  }
}

/** Parses JSON or YAML text (JSON is YAML, but JSON.parse gives better messages for .json). */
export function parseConfigText(text: string, path: string): unknown {
  try {
    return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigFileError(path, `not valid ${path.endsWith('.json') ? 'JSON' : 'YAML/JSON'}: ${(error as Error).message}`);
  }
}

export function validateConfigDocument(raw: unknown, path: string): ConfigDocument {
  const parsed = configDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigFileError(path, problems.join('; '));
  }
  return parsed.data;
}

export function readConfigDocument(path: string): ConfigDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigFileError(path, (error as Error).message);
  }
  return validateConfigDocument(parseConfigText(text, path), path);
}

/** A configuration document as YAML (`sluice config export FILE.yaml`). */
export function configToYaml(document: unknown): string {
  return toYaml(document);
}
