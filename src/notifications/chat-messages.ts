/**
 * What a chat message says, before it is dressed for Slack (blocks) or Discord (embeds). Texts
 * may hold what users typed (titles, error messages): Slack's mrkdwn control characters are
 * escaped, and Discord is told to ping nobody, so a reel called "@everyone" stays text.
 */
export interface ChatEvent {
  title: string;
  text: string;
  level: 'success' | 'warning' | 'error';
  fields: Array<{ name: string; value: string }>;
  /** A link to the React app. */
  link?: { label: string; url: string };
}

export const DISCORD_COLORS: Record<ChatEvent['level'], number> = { success: 0x2eb67d, warning: 0xecb22e, error: 0xe01e5a };
const SLACK_EMOJI: Record<ChatEvent['level'], string> = { success: ':white_check_mark:', warning: ':warning:', error: ':x:' };

/** Slack's incoming-webhook body: `text` (the notification's fallback) and Block Kit blocks, within Slack's limits. */
export function slackMessage(event: ChatEvent): { text: string; blocks: object[] } {
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(event.title, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: cut(`${SLACK_EMOJI[event.level]} ${slackEscape(event.text)}`, 3000) } },
  ];
  if (event.fields.length > 0) {
    blocks.push({
      type: 'section',
      fields: event.fields.slice(0, 10).map((field) => ({ type: 'mrkdwn', text: cut(`*${slackEscape(field.name)}*\n${slackEscape(field.value)}`, 2000) })),
    });
  }
  if (event.link) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: cut(event.link.label, 75) }, url: event.link.url }],
    });
  }
  // The fallback is parsed too (a typed `<!channel>` in it would ping the channel from the notification).
  return { text: cut(slackEscape(`${event.title}: ${event.text}`), 3000), blocks };
}

/** Discord's webhook body: one embed, within Discord's limits, mentioning nobody. */
export function discordMessage(event: ChatEvent): { embeds: object[]; allowed_mentions: { parse: never[] } } {
  return {
    embeds: [
      {
        title: cut(event.title, 256),
        description: cut(event.text, 4096),
        color: DISCORD_COLORS[event.level],
        fields: event.fields.slice(0, 25).map((field) => ({ name: cut(field.name, 256), value: cut(field.value || '—', 1024), inline: true })),
        ...(event.link && { url: event.link.url }),
      },
    ],
    allowed_mentions: { parse: [] },
  };
}

function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
