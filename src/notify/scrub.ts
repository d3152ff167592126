/**
 * A Slack token in a log, an error or an event is a leak that outlives the run (the original
 * repository leaked its tokens). Everything the Slack path writes anywhere goes through `scrub`.
 */
const SLACK_TOKEN = /xox[a-z]-[A-Za-z0-9-]+/g;

export function scrub(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  for (const s of secrets) {
    // a token shorter than this is not a token; replacing it would mangle ordinary text
    if (s && s.length >= 8) out = out.split(s).join('[token]');
  }
  return out.replace(SLACK_TOKEN, '[token]');
}
