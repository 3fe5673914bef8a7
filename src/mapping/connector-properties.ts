import type { ConnectorSettings } from '../config/mapping/mapping-settings.js';
import type { PropertyDefinition } from '../hubspot/hubspot.port.js';

/** Names of what the connector writes in HubSpot; the group and the unique phone property come from config. */
export interface ConnectorPropertyNames {
  group: string;
  uniquePhone: string;
  callKey: string;
  vendor: string;
  intention: string;
  tags: string;
  answers: string;
  summary: string;
  campaign: string;
  score: string;
  rounds: string;
  /** Intention levels and tags that could not become options of their select property (see `callWrite`). */
  unlisted: string;
}

export function connectorPropertyNames(settings: ConnectorSettings): ConnectorPropertyNames {
  return {
    group: settings.hubspot.propertyGroup,
    uniquePhone: settings.hubspot.uniquePhoneProperty,
    callKey: 'ai_call_key',
    vendor: 'ai_call_vendor',
    intention: settings.call.intention.property,
    tags: settings.call.tags.property,
    answers: 'ai_call_answers',
    summary: 'ai_call_summary',
    campaign: 'ai_call_campaign',
    score: 'ai_call_score',
    rounds: 'ai_call_rounds',
    unlisted: 'ai_call_unlisted_values',
  };
}

/** The contact property that holds the E.164 number; unique, so that batch upsert on it never duplicates. */
export function contactPropertyDefinitions(names: ConnectorPropertyNames): PropertyDefinition[] {
  return [
    {
      name: names.uniquePhone,
      label: 'Phone (E.164, AI calls)',
      type: 'string',
      fieldType: 'text',
      groupName: names.group,
      hasUniqueValue: true,
      description: 'The phone number in E.164 form, written by the AI call connector to find this contact again.',
    },
  ];
}

export function callPropertyDefinitions(
  names: ConnectorPropertyNames,
  settings: ConnectorSettings,
): PropertyDefinition[] {
  const text = (
    name: string,
    label: string,
    description: string,
    fieldType: 'text' | 'textarea' = 'text',
  ): PropertyDefinition => ({
    name,
    label,
    type: 'string',
    fieldType,
    groupName: names.group,
    description,
  });
  return [
    text(names.callKey, 'AI call key', 'vendor:call id. One HubSpot call per vendor call.'),
    text(names.vendor, 'AI call vendor', 'The voice-AI platform that made the call.'),
    settings.call.intention.as === 'select'
      ? {
          name: names.intention,
          label: 'AI intention level',
          type: 'enumeration',
          fieldType: 'select',
          groupName: names.group,
          options: [],
          description: 'The intention level the AI judged.',
        }
      : text(names.intention, 'AI intention level', 'The intention level the AI judged.'),
    settings.call.tags.as === 'multi-select'
      ? {
          name: names.tags,
          label: 'AI call tags',
          type: 'enumeration',
          fieldType: 'checkbox',
          groupName: names.group,
          options: [],
          description: 'Tags the AI gave the call.',
        }
      : text(names.tags, 'AI call tags', 'Tags the AI gave the call.', 'textarea'),
    text(names.answers, 'AI collected answers', 'Questions the AI asked and the answers it collected.', 'textarea'),
    text(names.summary, 'AI call summary', "The AI's summary of the conversation.", 'textarea'),
    text(names.campaign, 'AI call campaign', "The vendor's task or campaign."),
    {
      name: names.score,
      label: 'AI call score',
      type: 'number',
      fieldType: 'number',
      groupName: names.group,
      description: "The vendor's score for the call.",
    },
    {
      name: names.rounds,
      label: 'AI dialogue rounds',
      type: 'number',
      fieldType: 'number',
      groupName: names.group,
      description: 'Turns in the conversation.',
    },
    ...(settings.call.intention.as === 'select' || settings.call.tags.as === 'multi-select'
      ? [
          text(
            names.unlisted,
            'AI values beyond option limits',
            'Intention levels and tags that could not be added as options of their select property (HubSpot allows 5,000 options per property).',
            'textarea',
          ),
        ]
      : []),
  ];
}

/**
 * Connector properties a call can be written without: if the portal refuses to create one (its custom-property
 * cap, say), calls are still logged, without it. The key property is not among them: exactly-once depends on it.
 */
export function optionalCallProperties(names: ConnectorPropertyNames): Set<string> {
  return new Set([
    names.vendor,
    names.intention,
    names.tags,
    names.answers,
    names.summary,
    names.campaign,
    names.score,
    names.rounds,
    names.unlisted,
  ]);
}
