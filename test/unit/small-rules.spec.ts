import { describe, it } from 'node:test';
import { expect } from 'expect';
import { BadRequestException, ForbiddenException } from '@nestjs/common';
import { maskUrl } from '../../src/common/mask-url.js';
import { pageWindow } from '../../src/common/pagination.dto.js';
import type { AuthenticatedUser } from '../../src/common/authenticated-user.js';
import { Role } from '../../src/common/role.enum.js';
import { API_POLICY, DASHBOARD_POLICY, DOCS_POLICY, policyFor } from '../../src/common/security-headers.js';
import { hasVisibleCharacter } from '../../src/common/text.js';
import { workspaceScope } from '../../src/common/workspace-scope.js';
import { bucketMinutesFor } from '../../src/monitoring/webhook-event.statistics.js';
import { sseMessage } from '../../src/monitoring/monitoring-stream.service.js';
import { ChatEvent, DISCORD_COLORS, discordMessage, slackMessage } from '../../src/notifications/chat-messages.js';

/** Unit tier, table tests: the small pure rules that decide who, where and how much. */
describe('workspaceScope (unit, table)', () => {
  const W1 = '65abc123def456789012aaaa';
  const W2 = '65abc123def456789012bbbb';
  const user = (role: Role, workspaceId?: string): AuthenticatedUser => ({ userId: 'u', email: 'a@b.co', role, ...(workspaceId && { workspaceId }) });
  const rows: Array<[string, AuthenticatedUser, string | undefined, string | Error]> = [
    ['a user, their own workspace', user(Role.User, W1), undefined, W1],
    ['a user naming their own workspace', user(Role.User, W1), W1, W1],
    ['a user naming another workspace', user(Role.User, W1), W2, new ForbiddenException('Only a superadmin may choose the workspace')],
    ['a producer naming another workspace', user(Role.Producer, W1), W2, new ForbiddenException('Only a superadmin may choose the workspace')],
    ['a user without a workspace', user(Role.User), undefined, new ForbiddenException('This action requires a workspace')],
    ['a superadmin naming any workspace', user(Role.SuperAdmin, W1), W2, W2],
    ['a superadmin with a workspace, naming none', user(Role.SuperAdmin, W1), undefined, W1],
    ['a superadmin with no workspace, naming none', user(Role.SuperAdmin), undefined, new BadRequestException('workspaceId is required')],
  ];
  for (const [name, who, requested, expected] of rows) {
    it(`${name} → ${expected instanceof Error ? `${expected.constructor.name}: ${expected.message}` : 'that workspace'}`, () => {
      const call = () => workspaceScope(who, requested);
      if (expected instanceof Error) {
        expect(call).toThrow(expected);
        expect(call).toThrow(expected.constructor as new () => Error);
      } else expect(call()).toBe(expected);
    });
  }
});

describe('pageWindow (unit, table)', () => {
  const rows: Array<[{ page?: number; limit?: number }, { page: number; limit: number; skip: number }]> = [
    [{}, { page: 1, limit: 20, skip: 0 }],
    [{ page: 3 }, { page: 3, limit: 20, skip: 40 }],
    [{ limit: 5 }, { page: 1, limit: 5, skip: 0 }],
    [{ page: 4, limit: 25 }, { page: 4, limit: 25, skip: 75 }],
  ];
  for (const [query, expected] of rows) it(`${JSON.stringify(query)} → skip ${expected.skip}`, () => expect(pageWindow(query)).toEqual(expected));
});

describe('policyFor (unit, table)', () => {
  const rows: Array<[string, object, string]> = [
    ['/dashboard', DASHBOARD_POLICY, 'dashboard'],
    ['/dashboard/', DASHBOARD_POLICY, 'dashboard'],
    ['/dashboard/assets/index.js', DASHBOARD_POLICY, 'dashboard'],
    ['/dashboards', API_POLICY, 'API'],
    ['/docs', DOCS_POLICY, 'docs'],
    ['/docs/openapi.json', DOCS_POLICY, 'docs'],
    ['/docs-json', DOCS_POLICY, 'docs'],
    ['/documents', API_POLICY, 'API'],
    ['/api/videos', API_POLICY, 'API'],
    ['/', API_POLICY, 'API'],
  ];
  for (const [path, policy, name] of rows) it(`${path} → the ${name} policy`, () => expect(policyFor(path)).toBe(policy));
});

describe('bucketMinutesFor (unit, table)', () => {
  const MINUTE = 60_000;
  const rows: Array<[string, number, number]> = [
    ['10 minutes', 10 * MINUTE, 1],
    ['48 minutes: 48 one-minute bars', 48 * MINUTE, 1],
    ['49 minutes', 49 * MINUTE, 5],
    ['1 hour', 60 * MINUTE, 5],
    ['24 hours', 24 * 60 * MINUTE, 60],
    ['7 days', 7 * 24 * 60 * MINUTE, 360],
    ['30 days', 30 * 24 * 60 * MINUTE, 1440],
    ['a year: the coarsest bucket, however many bars', 365 * 24 * 60 * MINUTE, 10080],
  ];
  for (const [name, rangeMs, minutes] of rows) it(`${name} → ${minutes}-minute buckets`, () => expect(bucketMinutesFor(rangeMs)).toBe(minutes));
});

describe('maskUrl (unit, table)', () => {
  for (const [url, masked] of [
    ['https://hooks.slack.com/services/T000/B000/XXXXWXYZ', 'https://hooks.slack.com/…WXYZ'],
    ['http://example.com:8080/hook?token=secret1234', 'http://example.com:8080/…1234'],
    ['https://user:pw@example.com/abcd', 'https://example.com/…abcd'],
  ]) {
    it(`${url} → ${masked}`, () => expect(maskUrl(url)).toBe(masked));
  }
});

describe('hasVisibleCharacter (unit, table)', () => {
  const rows: Array<[string, string, boolean]> = [
    ['letters', 'hunter2', true],
    ['a letter among spaces', '   a   ', true],
    ['an emoji', '🔑', true],
    ['spaces', '     ', false],
    ['tabs and newlines', '\t\n\r', false],
    ['zero-width characters', '\u200b\u200c\u200d\ufeff', false],
    ['no-break and ideographic spaces', '\u00a0\u3000', false],
    ['Hangul fillers', '\u115f\u1160\u3164\uffa0', false],
    ['empty', '', false],
  ];
  for (const [name, value, expected] of rows) it(`${name} → ${expected ? 'a password' : 'no password'}`, () => expect(hasVisibleCharacter(value)).toBe(expected));
});

describe('sseMessage (unit, table)', () => {
  const rows: Array<[Parameters<typeof sseMessage>[0], string]> = [
    [{}, '\n'],
    [{ event: 'ready' }, 'event: ready\n\n'],
    [{ id: 'v1.a.', event: 'delivery', data: { a: 1 } }, 'id: v1.a.\nevent: delivery\ndata: {"a":1}\n\n'],
    [{ retry: 3000, data: 'line\nbreak' }, 'retry: 3000\ndata: "line\\nbreak"\n\n'],
  ];
  for (const [fields, text] of rows) it(`${JSON.stringify(fields)} → ${JSON.stringify(text)}`, () => expect(sseMessage(fields)).toBe(text));
});

describe('chat messages (unit)', () => {
  const event: ChatEvent = {
    title: 'Reel ready: <b>@everyone</b>',
    text: 'The reel "<!channel> & co" is ready.',
    level: 'warning',
    fields: [{ name: 'Reel', value: '<@U123>' }, { name: 'Empty', value: '' }],
    link: { label: 'Open the reel', url: 'https://app.example.com/reels/1' },
  };

  it('Slack: mrkdwn control characters in texts, fields and the fallback are escaped, so typed text never mentions or links', () => {
    const { text, blocks } = slackMessage(event);
    expect(JSON.stringify(blocks)).not.toContain('<!channel>');
    expect(text).toBe('Reel ready: &lt;b&gt;@everyone&lt;/b&gt;: The reel "&lt;!channel&gt; &amp; co" is ready.');
    expect(blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: ':warning: The reel "&lt;!channel&gt; &amp; co" is ready.' } });
    expect(blocks[2]).toEqual({ type: 'section', fields: [{ type: 'mrkdwn', text: '*Reel*\n&lt;@U123&gt;' }, { type: 'mrkdwn', text: '*Empty*\n' }] });
    expect(blocks[3]).toMatchObject({ type: 'actions', elements: [{ url: 'https://app.example.com/reels/1' }] });
  });

  it('Slack and Discord: long texts are cut to each one’s limits with an ellipsis', () => {
    const long = { ...event, title: 't'.repeat(400), text: 'x'.repeat(5000) };
    const slack = slackMessage(long);
    expect(slack.text).toHaveLength(3000);
    expect(slack.text.endsWith('…')).toBe(true);
    expect((slack.blocks[0] as { text: { text: string } }).text.text).toHaveLength(150);
    const [embed] = discordMessage(long).embeds as Array<{ title: string; description: string }>;
    expect([embed.title.length, embed.description.length]).toEqual([256, 4096]);
  });

  it('Discord: one embed in the level’s colour, an empty field shown as —, and nobody mentioned', () => {
    const message = discordMessage(event);
    expect(message.allowed_mentions).toEqual({ parse: [] });
    expect(message.embeds[0]).toMatchObject({
      color: DISCORD_COLORS.warning,
      url: 'https://app.example.com/reels/1',
      fields: [
        { name: 'Reel', value: '<@U123>', inline: true },
        { name: 'Empty', value: '—', inline: true },
      ],
    });
  });
});
