// Drives the official Anthropic TypeScript SDK for the client ITs and prints what it got, one JSON line per action.
// usage: node anthropic_client.mjs BASE_URL MODEL ACTION[,ACTION...] [PROMPT]
// ACTION: create | stream | tools | count | odd-query (a create with a query parameter the official clients never send)
// The app's own key is a dummy: the sidecar must replace it with the gateway's.
import { load } from './resolve.mjs';

const { default: Anthropic } = await load('@anthropic-ai/sdk');
const [baseURL, model, actions, prompt = 'Say hello.'] = process.argv.slice(2);
const client = new Anthropic({ baseURL, apiKey: 'app-own-dummy-key' });
const system = [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }];
const user = [{ role: 'user', content: prompt }];
const weather = {
  name: 'get_weather', description: 'The current weather in a city.',
  input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

const usage = (u) => ({
  input_tokens: u.input_tokens, output_tokens: u.output_tokens,
  cache_creation_input_tokens: u.cache_creation_input_tokens ?? 0,
  cache_read_input_tokens: u.cache_read_input_tokens ?? 0,
});
const message = (m) => ({ ok: true, id: m.id, stop_reason: m.stop_reason, usage: usage(m.usage), content: m.content });

async function run(action) {
  switch (action) {
    case 'create':
      return message(await client.messages.create({ model, max_tokens: 256, system, messages: user,
                                                    metadata: { user_id: 'client-it' } }));
    case 'stream': {
      const stream = client.messages.stream({ model, max_tokens: 256, system, messages: user });
      let text = '';
      stream.on('text', (t) => { text += t; });
      const result = message(await stream.finalMessage());
      return { ...result, streamed_text: text };
    }
    case 'tools': {
      const first = await client.messages.create({ model, max_tokens: 512, messages: user, tools: [weather],
                                                   tool_choice: { type: 'auto' } });
      const call = first.content.find((b) => b.type === 'tool_use');
      const history = [...user, { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18 degrees, sunny' }] }];
      const second = await client.messages.create({ model, max_tokens: 512, messages: history, tools: [weather] });
      return { ok: true, first: message(first), second: message(second) };
    }
    case 'odd-query':
      return message(await client.messages.create({ model, max_tokens: 256, messages: user },
                                                  { query: { beta: 'true', model: 'claude-opus-4-1' } }));
    case 'count':
      return { ok: true, input_tokens: (await client.messages.countTokens({ model, messages: user })).input_tokens };
    default:
      throw new Error('unknown action ' + action);
  }
}

for (const action of actions.split(',')) {
  let out;
  try {
    out = await run(action);
  } catch (e) {
    if (!(e instanceof Anthropic.APIError) || e.status === undefined) throw e;
    out = { ok: false, error: e.constructor.name, status: e.status, request_id: e.requestID ?? null,
            type: e.error?.error?.type ?? null, message: e.error?.error?.message ?? null, body: e.error ?? null };
  }
  console.log(JSON.stringify(out));
}
