import type { z } from 'zod';
import { ConfigError } from '../errors.js';

export { ConfigError };

/**
 * One setting: the environment variable, its default, how it is parsed and checked, and what it means.
 * The typed `Config`, `loadConfig` and the README's configuration table all come from these declarations.
 */
export interface Setting<T> {
  /** The environment variable. */
  readonly env: string;
  /** The value used when the variable is unset or empty, as an operator would write it; none: the setting is optional. */
  readonly default?: string;
  /** How the README shows a default that is not a fixed value (computed from another setting, or generated). */
  readonly defaultDoc?: string;
  /** Turns the variable's text into the typed value; its messages name what is wrong, the loader adds the variable. */
  readonly parse: z.ZodType<T>;
  /** One line for the README's table: what the setting does, for an operator. */
  readonly doc: string;
  /** The value is never quoted in an error message. */
  readonly secret?: boolean;
  /** Why the value is unacceptable in production (`NODE_ENV=production`), or undefined when it is fine. */
  readonly production?: (value: T) => string | undefined;
}

/** Declares one setting (the function only lets TypeScript infer the value's type). */
export function setting<T>(declaration: Setting<T>): Setting<T> {
  return declaration;
}

/** Settings, and groups of settings that the code receives together (`config.http`, `config.background`). */
export interface SettingGroup {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry keeps its own value type
  readonly [key: string]: Setting<any> | SettingGroup;
}

/** The values a group of declarations produces, with their types. */
export type SettingValues<G> = { -readonly [K in keyof G]: G[K] extends Setting<infer T> ? T : SettingValues<G[K]> };

export type Env = Record<string, string | undefined>;


export function isSetting(entry: Setting<unknown> | SettingGroup): entry is Setting<unknown> {
  return typeof entry.env === 'string' && 'parse' in entry;
}

/** Every declaration of a group, nested groups included, in the order they are declared. */
export function settingsOf(group: SettingGroup): Setting<unknown>[] {
  return Object.values(group).flatMap((entry) => (isSetting(entry) ? [entry] : settingsOf(entry)));
}

/** Parses every setting of `group` from `env`; throws `ConfigError` naming the first bad variable. */
export function readSettings<G extends SettingGroup>(group: G, env: Env): SettingValues<G> {
  const values: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(group)) {
    values[key] = isSetting(entry) ? readSetting(entry, env) : readSettings(entry, env);
  }
  return values as SettingValues<G>;
}

function readSetting<T>(declaration: Setting<T>, env: Env): T {
  const given = env[declaration.env];
  const text = given === undefined || given === '' ? declaration.default : given;
  const parsed = declaration.parse.safeParse(text);
  if (parsed.success) return parsed.data;
  const reason = parsed.error.issues[0]?.message ?? 'is not valid';
  throw new ConfigError(declaration.env, declaration.secret ? reason : `${reason} (got ${JSON.stringify(text ?? '')})`);
}

/** Applies each declaration's production rule to the value the configuration ended up with. */
export function assertProductionRules(group: SettingGroup, values: Record<string, unknown> | undefined): void {
  for (const [key, entry] of Object.entries(group)) {
    const value = values?.[key];
    if (!isSetting(entry)) {
      assertProductionRules(entry, value as Record<string, unknown> | undefined);
      continue;
    }
    const reason = entry.production?.(value);
    if (reason !== undefined) throw new ConfigError(entry.env, reason);
  }
}
