import type { HubSpotErrorDetails } from './hubspot-errors.js';

/**
 * Reads what a HubSpot error body names, wherever HubSpot puts it. Error bodies are
 * `{status:"error", message, correlationId, category, subCategory?, errors?:[{message, code?, context?}], context?}`
 * (hubspot.md "Limits and errors"); invalid property values come as JSON inside the message,
 * `Property values were not valid: [{"isValid":false,"message":…,"error":"INVALID_OPTION","name":"ai_call_tags"}]`;
 * a 403's `errors[].context.requiredGranularScopes` names the missing scopes. Whether every answer carries each part
 * is not documented, so every place is read and none is required.
 */
export function errorDetails(body: unknown): HubSpotErrorDetails {
  const details: HubSpotErrorDetails = { properties: [], codes: [], ids: [], traceIds: [], scopes: [], problems: [] };
  if (!isRecord(body)) return details;
  const add = (list: string[], values: unknown): void => {
    for (const value of Array.isArray(values) ? values : values === undefined || values === null ? [] : [values]) {
      if ((typeof value === 'string' || typeof value === 'number') && !list.includes(String(value)))
        list.push(String(value));
    }
  };
  const readContext = (context: unknown): void => {
    if (!isRecord(context)) return;
    add(details.properties, context['propertyName']);
    add(details.properties, context['properties']);
    add(details.ids, context['ids']);
    add(details.ids, context['invalidIds']);
    add(details.ids, context['id']);
    add(details.traceIds, context['objectWriteTraceId']);
    add(details.scopes, context['requiredGranularScopes']);
    add(details.scopes, context['requiredScopes']);
  };
  readContext(body['context']);
  add(details.codes, body['subCategory']);
  for (const entry of Array.isArray(body['errors']) ? body['errors'] : []) {
    if (!isRecord(entry)) continue;
    add(details.codes, entry['code']);
    readContext(entry['context']);
    const names = isRecord(entry['context']) ? entry['context']['propertyName'] : undefined;
    if (typeof entry['code'] === 'string')
      for (const name of Array.isArray(names) ? names : []) addProblem(details, String(name), entry['code']);
    if (typeof entry['message'] === 'string') readMessage(entry['message'], details, add);
  }
  if (typeof body['message'] === 'string') readMessage(body['message'], details, add);
  return details;
}

function readMessage(
  message: string,
  details: HubSpotErrorDetails,
  add: (list: string[], values: unknown) => void,
): void {
  const json = message.indexOf('[{');
  if (json < 0) return;
  try {
    const problems = JSON.parse(message.slice(json)) as unknown;
    for (const problem of Array.isArray(problems) ? problems : []) {
      if (!isRecord(problem)) continue;
      add(details.properties, problem['name']);
      add(details.codes, problem['error']);
      if (typeof problem['name'] === 'string' && typeof problem['error'] === 'string')
        addProblem(details, problem['name'], problem['error']);
    }
  } catch {
    // Not the JSON list HubSpot embeds: nothing more to read.
  }
}

function addProblem(details: HubSpotErrorDetails, property: string, code: string): void {
  if (!details.problems.some((problem) => problem.property === property && problem.code === code))
    details.problems.push({ property, code });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
