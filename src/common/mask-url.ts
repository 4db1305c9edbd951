/** `https://hooks.slack.com/…WXYZ`: the scheme and host, and the last four characters (for secret URLs shown back). */
export function maskUrl(url: string): string {
  const { protocol, host } = new URL(url);
  return `${protocol}//${host}/…${url.slice(-4)}`;
}
