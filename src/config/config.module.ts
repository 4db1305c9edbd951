import { DynamicModule, Global, Module } from '@nestjs/common';
import type { AnyConfigSlice, ComposedConfig } from './define-config.js';

/**
 * Provides each slice of the validated configuration under its own token, to every module: a
 * service injects the slices it reads (`@Inject(videosConfig.KEY) config: VideosConfig`), never
 * the whole.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot<const Slices extends readonly AnyConfigSlice[]>(slices: Slices, config: ComposedConfig<Slices>): DynamicModule {
    const values = config as unknown as Record<string, unknown>;
    const providers = slices.map((slice) => ({ provide: slice.KEY, useValue: values[slice.name] }));
    return { module: ConfigModule, providers, exports: providers.map((provider) => provider.provide) };
  }
}
