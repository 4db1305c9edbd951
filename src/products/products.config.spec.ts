import { describe, it } from 'node:test';
import { expect } from 'expect';
import { composeConfig } from '../config/define-config.js';
import { productsConfig } from './products.config.js';

const products = (env: Record<string, string>) => composeConfig([productsConfig], env).products;

describe('products configuration', () => {
  it('allows image URLs at internal addresses in development only, unless told', () => {
    expect(products({}).allowInternalImageUrls).toBe(true);
    expect(products({ NODE_ENV: 'production' }).allowInternalImageUrls).toBe(false);
    expect(products({ NODE_ENV: 'test' }).allowInternalImageUrls).toBe(false);
    expect(products({ NODE_ENV: 'production', IMAGE_URLS_ALLOW_PRIVATE: 'true' }).allowInternalImageUrls).toBe(true);
  });
});
