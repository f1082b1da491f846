import { BYTE_TO_UNICODE, bytesToByteLevel } from './tokenizer/byte-level.js';

/**
 * The tiny test model's vocabulary: SmolLM2's first three special tokens, the 256 byte-level characters and
 * merges learned by plain byte-level BPE (Sennrich et al. 2016; GPT-2 byte alphabet) from a small built-in
 * corpus. Training splits digits one by one before the GPT-2 regex, as SmolLM2's pre-tokenizer does
 * (llama.cpp `LLAMA_VOCAB_PRE_TYPE_SMOLLM`), so no merge ever joins digits — which makes a plain ByteLevel
 * tokenizer.json and GGUF's "smollm" pre-tokenizer encode identically.
 */

export const TINY_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;

/** SmolLM2-Instruct's chat template, verbatim. */
export const SMOLLM2_CHAT_TEMPLATE =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

const CORPUS = [
  'The quick brown fox jumps over the lazy dog. The dog sleeps in the sun, and the fox runs into the forest.',
  'Show me pet 42. List all pets with status sold, limit 10. Find the user named alice and update her email.',
  'Create a new order for product 7 with quantity 3. Delete the order 1234. Get the inventory of the store.',
  'What is the capital of France? The capital of France is Paris. Hello, world! How are you today?',
  'GET /pet/{petId} POST /pet PUT /pet DELETE /pet/{petId} GET /store/inventory GET /user/login',
  'GET /users?limit=5&offset=10 POST /orders PATCH /users/{userId} GET /search?q=shoes&sort=price',
  '{"method": "GET", "path": "/pet/findByStatus", "query": {"status": "sold"}, "body": null}',
  '{"operationId": "getPetById", "pathParams": {"petId": "42"}, "query": {}, "headers": {}}',
  '{"name": "doggie", "status": "available", "tags": [{"id": 1, "name": "friendly"}], "price": 19.99}',
  'https://petstore3.swagger.io/api/v3/pet/findByStatus?status=sold',
  'https://api.example.com/v1/users/123/orders?page=2&per_page=50',
  'The user wants to see the list of all available pets in the store, sorted by name, with a limit of twenty.',
  'Please find the order with id 99 and return its status. Then cancel every pending order from last week.',
  'Translate the text into German. Summarise the document in three sentences. Send an email to the team.',
  'def get_user(user_id):\n    return requests.get(f"https://api.example.com/users/{user_id}").json()\n',
  'const response = await fetch("/api/v1/items?limit=10", { method: "GET", headers: { "Accept": "application/json" } });',
  'type: object\nproperties:\n  id:\n    type: integer\n  name:\n    type: string\nrequired: [id, name]\n',
  'The weather today is sunny with a high of 25 degrees. Tomorrow it will rain in the morning and clear up later.',
  'Add the item to the shopping cart, then check out with the saved credit card and ship it to the home address.',
  'You are a helpful assistant. Answer the question with a single API call that matches the specification.',
  'Which customers placed orders last month? Show their names, email addresses and the total amount spent.',
  'Update the status of ticket 512 to resolved and assign it to the support team. Notify the customer by email.',
  'Search for restaurants near the station that are open now, have good reviews and accept reservations.',
  'The server returned an error: 404 Not Found. Check the path parameters and try the request again later.',
  'Upload the file report.pdf to the shared folder, then create a public link that expires in seven days.',
  '{"id": 7, "title": "Buy milk", "completed": false, "userId": 3, "createdAt": "2024-05-01T10:00:00Z"}',
];

/** GPT-2's pre-tokenizer regex, applied after digits are isolated. */
const GPT2_RE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export function preTokenize(text: string): string[] {
  const words: string[] = [];
  for (const piece of text.split(/(\p{N})/u)) {
    if (!piece) continue;
    for (const m of piece.matchAll(GPT2_RE)) words.push(bytesToByteLevel(Buffer.from(m[0], 'utf8')));
  }
  return words;
}

export interface TinyVocab {
  /** token → id; ids are dense: specials, then bytes, then merged tokens. */
  vocab: Map<string, number>;
  tokens: string[];
  merges: [string, string][];
}

/** Learns `numMerges` merges (fewer if the corpus runs out of repeated pairs); ties go to the smaller pair. */
export function trainTinyBpe(numMerges: number): TinyVocab {
  const freq = new Map<string, number>();
  for (const w of CORPUS.flatMap(preTokenize)) freq.set(w, (freq.get(w) ?? 0) + 1);
  const words = [...freq].map(([w, n]) => ({ parts: [...w], n }));
  const byteTokens = [...BYTE_TO_UNICODE].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const tokens: string[] = [...TINY_SPECIAL_TOKENS, ...byteTokens];
  const merges: [string, string][] = [];
  while (merges.length < numMerges) {
    const counts = new Map<string, number>();
    for (const { parts, n } of words) {
      for (let i = 0; i + 1 < parts.length; i++) {
        const key = `${parts[i]} ${parts[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + n);
      }
    }
    let best: string | undefined;
    let bestN = 1;
    for (const [key, n] of counts) {
      if (n > bestN || (n === bestN && best !== undefined && key < best)) [best, bestN] = [key, n];
    }
    if (best === undefined) break;
    const [a, b] = best.split(' ') as [string, string];
    merges.push([a, b]);
    tokens.push(a + b);
    for (const w of words) {
      const next: string[] = [];
      for (let i = 0; i < w.parts.length; i++) {
        if (w.parts[i] === a && w.parts[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(w.parts[i]!);
      }
      w.parts = next;
    }
  }
  return { vocab: new Map(tokens.map((t, i) => [t, i])), tokens, merges };
}

const addedToken = (content: string, id: number) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

/** tokenizer.json in the shape of SmolLM2's (ByteLevel pre-tokenizer and decoder, BPE without unk). */
export function tinyTokenizerJson(v: TinyVocab): object {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: TINY_SPECIAL_TOKENS.map(addedToken),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: {},
    },
    decoder: { ...byteLevel, add_prefix_space: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(v.vocab),
      merges: v.merges,
    },
  };
}

/** tokenizer_config.json as on the Hub for SmolLM2-Instruct. */
export function tinyTokenizerConfig(): object {
  return {
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(
      TINY_SPECIAL_TOKENS.map((t, i) => {
        const { id: _id, ...rest } = addedToken(t, i);
        return [String(i), rest];
      }),
    ),
    bos_token: '<|im_start|>',
    chat_template: SMOLLM2_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    model_max_length: 2048,
    pad_token: '<|im_end|>',
    tokenizer_class: 'GPT2Tokenizer',
    unk_token: '<|endoftext|>',
  };
}
