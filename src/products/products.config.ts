import { IsIn, IsOptional } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';

class ProductsEnvironment {
  /**
   * Whether product image URLs may point at loopback, private or link-local addresses (the
   * generator fetches them). Unset: allowed in development only.
   */
  @IsOptional()
  @IsIn(['true', 'false'])
  IMAGE_URLS_ALLOW_PRIVATE?: 'true' | 'false';
}

export const productsConfig = defineConfig('products', ProductsEnvironment, (env, { nodeEnv }) => ({
  /** Whether product image URLs may name loopback, private or link-local hosts. */
  allowInternalImageUrls: (env.IMAGE_URLS_ALLOW_PRIVATE ?? String(nodeEnv === 'development')) === 'true',
}));
export type ProductsConfig = ConfigType<typeof productsConfig>;
