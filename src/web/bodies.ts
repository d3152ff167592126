/** The JSON bodies of the API, checked by hand; an error names the field that is wrong. */
type Invalid = { error: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseLoginBody(v: unknown): { name: string; password: string } | Invalid {
  if (!isObject(v)) return { error: 'the body must be a JSON object {name, password}' };
  if (typeof v.name !== 'string' || !v.name) return { error: 'field "name": a user name (string) is needed' };
  if (typeof v.password !== 'string' || !v.password) return { error: 'field "password": a password (string) is needed' };
  return { name: v.name, password: v.password };
}

export function parseAnswerBody(v: unknown): { answer: 'yes' | 'no'; reason: string | null } | Invalid {
  if (!isObject(v)) return { error: 'the body must be a JSON object {answer: "yes"|"no", reason?}' };
  if (v.answer !== 'yes' && v.answer !== 'no') return { error: 'field "answer": must be "yes" or "no"' };
  if (v.reason !== undefined && v.reason !== null && typeof v.reason !== 'string') return { error: 'field "reason": must be a string' };
  const reason = typeof v.reason === 'string' && v.reason.trim() ? v.reason.trim() : null;
  if (v.answer === 'no' && !reason) return { error: 'field "reason": "no" stops the run, a reason is needed' };
  return { answer: v.answer, reason };
}
