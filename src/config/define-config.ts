import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ConfigValidationError } from './config-validation.error.js';

/**
 * Typed configuration slices, in the `registerAs` style of brocoders' nestjs-boilerplate: each
 * module declares its environment variables in a class-validator class beside it
 * (`videos/videos.config.ts`) and turns them into its typed slice; `src/app.config.ts` composes
 * the slices and the global ConfigModule provides each under its own token:
 *
 *   export const videosConfig = defineConfig('videos', VideosEnvironment, (env) => ({ … }));
 *   export type VideosConfig = ConfigType<typeof videosConfig>;
 *   constructor(@Inject(videosConfig.KEY) private readonly config: VideosConfig) {}
 *
 * Unlike @nestjs/config, nothing here reads `process.env`: every slice is built from the
 * environment object given (main.ts passes process.env; tests build many apps in one process,
 * each from its own).
 */

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** Environment variables as given: main.ts passes process.env, tests an object of their own. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The variables that are set: a blank value (`PORT=` in a .env file) means "not set", so the default applies. */
export type PresentEnvironment = Readonly<Record<string, string>>;

/** What every slice may know besides its own variables. */
export interface EnvironmentContext {
  readonly nodeEnv: NodeEnv;
  readonly isProduction: boolean;
}

export interface ConfigContext extends EnvironmentContext {
  /** Another slice of the same composition, for a default derived from it (the mail outbox under DATA_DIR). */
  get<T>(slice: ConfigSlice<string, T>): T;
}

export interface ConfigSlice<Name extends string = string, T = unknown> {
  readonly name: Name;
  /** The slice's injection token: `@Inject(videosConfig.KEY)`. */
  readonly KEY: string;
  /** This slice's variables validated: its environment object, and the problems, each naming its variable. */
  validate(env: PresentEnvironment): { env: object; problems: string[] };
  build(env: object, context: ConfigContext): T;
}

/** The typed slice a `defineConfig` returns, as `ConfigType` of @nestjs/config. */
export type ConfigType<Slice> = Slice extends ConfigSlice<string, infer T> ? T : never;

export type AnyConfigSlice = ConfigSlice<string, unknown>;

export interface ConfigWarning {
  variable: string;
  message: string;
}

/** The slices of a composition by name, and the warnings about development fallbacks. */
export type ComposedConfig<Slices extends readonly AnyConfigSlice[]> = {
  readonly [Slice in Slices[number] as Slice['name']]: ConfigType<Slice>;
} & { readonly warnings: readonly ConfigWarning[] };

export interface DefineConfigOptions<E> {
  /** Checks the decorators cannot say (a list with one message per bad entry, a secret's decoding). */
  check?: (env: E) => string[];
}

/**
 * A slice named `name`: `Environment` declares its variables (names as people set them, defaults
 * as property initialisers, class-validator rules), `build` turns the validated values into the
 * typed slice.
 */
export function defineConfig<Name extends string, E extends object, T>(
  name: Name,
  Environment: new () => E,
  build: (env: E, context: ConfigContext) => T,
  options: DefineConfigOptions<E> = {},
): ConfigSlice<Name, T> {
  return {
    name,
    KEY: `config:${name}`,
    validate(present) {
      const env = plainToInstance(Environment, present, { exposeDefaultValues: true });
      const problems = validateSync(env, { stopAtFirstError: true }).flatMap((error) =>
        Object.values(error.constraints ?? {}).map((text) =>
          text.startsWith(error.property) ? text : `${error.property}: ${text}`,
        ),
      );
      return { env, problems: [...problems, ...(options.check?.(env) ?? [])] };
    },
    build: (env, context) => build(env as E, context),
  };
}

/** Rules across slices (src/config/production-rules.ts), applied once every slice has validated. */
export interface ConfigRules<C> {
  /** Problems beyond each variable's own rules: what production requires or refuses. */
  problems(env: PresentEnvironment, context: EnvironmentContext): string[];
  /** Development fallbacks and risky settings, for main.ts to print loudly. */
  warnings(env: PresentEnvironment, config: C, context: EnvironmentContext): ConfigWarning[];
}

/**
 * Validates every slice and collects every problem (with the rules' own) before failing, so one
 * start names every variable to fix; then builds each slice. Throws ConfigValidationError.
 */
export function composeConfig<const Slices extends readonly AnyConfigSlice[]>(
  slices: Slices,
  raw: Environment,
  rules?: ConfigRules<ComposedConfig<Slices>>,
): ComposedConfig<Slices> {
  const present: PresentEnvironment = Object.fromEntries(
    Object.entries(raw).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== ''),
  );
  // NODE_ENV is validated by its slice (config/runtime.config.ts): in the app's composition an
  // invalid one is a problem below, so no slice is built with this fallback.
  const given = present.NODE_ENV ?? 'development';
  const nodeEnv: NodeEnv = (NODE_ENVS as readonly string[]).includes(given) ? (given as NodeEnv) : 'development';
  const environment: EnvironmentContext = { nodeEnv, isProduction: nodeEnv === 'production' };

  const validated = new Map<AnyConfigSlice, object>();
  const problems: string[] = [];
  for (const slice of slices) {
    const result = slice.validate(present);
    validated.set(slice, result.env);
    problems.push(...result.problems);
  }
  problems.push(...(rules?.problems(present, environment) ?? []));
  if (problems.length > 0) throw new ConfigValidationError(problems);

  const built = new Map<AnyConfigSlice, unknown>();
  const context: ConfigContext = {
    ...environment,
    get: <T>(slice: ConfigSlice<string, T>): T => {
      if (!built.has(slice)) {
        const env = validated.get(slice);
        if (!env) throw new Error(`The configuration slice ${slice.name} is not part of this composition`);
        built.set(slice, slice.build(env, context));
      }
      return built.get(slice) as T;
    },
  };
  const warnings: ConfigWarning[] = [];
  const config = { ...Object.fromEntries(slices.map((slice) => [slice.name, context.get(slice)])), warnings };
  warnings.push(...(rules?.warnings(present, config as unknown as ComposedConfig<Slices>, environment) ?? []));
  return config as unknown as ComposedConfig<Slices>;
}
