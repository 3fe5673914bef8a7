/**
 * HubSpot's default call outcomes (`hs_call_disposition` GUIDs) by name;
 * `outcome:` may also be a GUID or a portal's own outcome label.
 */
export const DEFAULT_OUTCOMES: Record<string, string> = {
  connected: 'f240bbac-87c9-4f6e-bf70-924b57d47db7',
  busy: '9d9162e7-6cf3-4944-bf63-4dff82258764',
  'no-answer': '73a0d17f-1163-4015-bdd5-ec830791da20',
  'left-live-message': 'a4c4c377-d246-4b32-a13b-75a56a4cd0ff',
  'left-voicemail': 'b2cf5968-551e-4856-9783-52b3da59a7d0',
  'wrong-number': '17b47fee-58de-441e-a44c-c6300d46f273',
};
