// How each notification from the node changes the store. Pure (state in, partial state out) so the
// mapping can be tested without React or a transport.
import type { AppState, ChatTurn } from './app-state.ts';
import type { ChatEvent, Notification } from './contract-types.ts';

export function applyNotification(state: AppState, notification: Notification): Partial<AppState> {
  switch (notification.name) {
    case 'status':
      return { status: notification.payload };
    case 'onboarding':
      return { onboarding: notification.payload };
    case 'resources':
      return { resources: notification.payload };
    case 'region':
      return { region: notification.payload };
    case 'clusters':
      return { clusters: notification.payload };
    case 'tierModels':
      return { tierModels: notification.payload };
    case 'engines':
      return { engines: notification.payload };
    case 'balance':
      return { balance: notification.payload };
    case 'earnings':
      return { earnings: notification.payload };
    case 'chatModels': {
      const models = notification.payload;
      const keep = models.some((model) => model.id === state.selectedModel && model.available);
      return {
        models,
        selectedModel: keep ? state.selectedModel : (models.find((model) => model.available)?.id ?? null),
      };
    }
    case 'settings':
      return { settings: notification.payload };
    case 'update':
      return { update: notification.payload };
    case 'chat':
      return applyChatEvent(state, notification.payload);
  }
}

/** Events for a request this window did not start (another dashboard, an old request) are ignored. */
export function applyChatEvent(state: AppState, event: ChatEvent): Partial<AppState> {
  const active = state.active;
  if (!active || active.requestId !== event.requestId) return {};
  switch (event.type) {
    case 'queued':
      return { active: { ...active, phase: 'queued', queuePosition: event.position } };
    case 'started':
      return { active: { ...active, phase: 'streaming', queuePosition: null } };
    case 'delta':
      return { active: { ...active, phase: 'streaming', text: active.text + event.text } };
    case 'done': {
      const reply: ChatTurn = { role: 'assistant', content: active.text, cost: event.cost };
      return { active: null, conversation: [...state.conversation, reply], chatNotice: null };
    }
    case 'failed': {
      const partial: ChatTurn[] =
        active.text === '' ? [] : [{ role: 'assistant', content: active.text, cost: event.cost }];
      return {
        active: null,
        conversation: [...state.conversation, ...partial],
        chatNotice: { reason: event.reason, message: event.message },
      };
    }
  }
}
