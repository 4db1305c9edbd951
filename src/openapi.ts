import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/** The OpenAPI document, derived from controllers and DTOs (with the @nestjs/swagger CLI plugin). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('videogen-webhooks')
    .setDescription(
      'Turns product catalogues and scripts into AI-generated videos and tracks every video from request ' +
        'to download. Every JSON answer is `{ success, data }` or `{ success: false, message }`.',
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  for (const [name, description] of TAGS) config.addTag(name, description);
  return SwaggerModule.createDocument(app, config.build(), {
    // Stable, readable operation ids: they become the generated client's function names.
    operationIdFactory: (controllerKey, methodKey) =>
      `${lowerFirst(controllerKey.replace(/Controller$/, ''))}${upperFirst(methodKey)}`,
  });
}

/** Every tag the controllers use (a test checks none is missing), in the order Swagger UI shows them. */
export const TAGS: ReadonlyArray<readonly [string, string]> = [
  ['auth', 'Sign in (a bearer token for every other route), who am I, and lifting login locks'],
  ['users', 'Accounts and their roles (superadmin)'],
  ['workspaces', 'Tenants: every product, video and reel belongs to one; quotas and usage'],
  ['products', "The catalogue the videos are made from, scoped to the caller's workspace"],
  ['videos', 'RCK videos: bulk generation, listing, retry, failing by hand, download'],
  ['reels', 'HeyGen reels: generation from a script, listing, download'],
  ['webhooks', 'Deliveries from the generators (RCK, HeyGen): signed, not bearer-authenticated'],
  ['webhook-events', 'The audit log of every delivery, its statistics and replay (superadmin)'],
  ['webhook-sources', 'Pausing and resuming a generator (RCK, HeyGen): held deliveries are stored, answered, and applied in order on resume (superadmin)'],
  ['webhook-endpoints', "Customers' own endpoints: the video.* and reel.* events we send them, attempts, redelivery"],
  ['notifications', 'E-mail, Slack and Discord notices of a workspace'],
  ['timeline', 'Everything that happened to one video or reel, in order, across both directions'],
  ['monitoring', 'Live figures, the live feed (SSE) and stuck records (superadmin)'],
  ['alerts', 'Alert rules and their incidents (superadmin)'],
  ['health', 'Liveness and readiness for load balancers and orchestrators'],
];

export function setupSwaggerUi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    swaggerOptions: { persistAuthorization: true },
  });
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);
const upperFirst = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
