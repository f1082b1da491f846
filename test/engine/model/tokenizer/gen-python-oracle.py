"""Regenerates python-oracle.json: token ids from Hugging Face tokenizers (Rust, via Python) for varied strings.

Two pre-tokenizers over the same SmolLM2 vocabulary (tiny-llama/model/tokenizer.json):
- tinyIds: the file as shipped (pre_tokenizer ByteLevel only, unlike the Hub file; likely via transformers' GGUF converter);
- hubIds:  SmolLM2's Hub pre_tokenizer, Sequence[Digits(individual_digits), ByteLevel], which llama.cpp's
           "smollm" pre type reproduces.
Run:  pip install --target /tmp/py tokenizers && PYTHONPATH=/tmp/py python3 gen-python-oracle.py
      then npx prettier --write python-oracle.json
"""
import json
import pathlib

import tokenizers
from tokenizers import Tokenizer

HERE = pathlib.Path(__file__).parent
SOURCE = HERE.parents[3] / "fixtures/reference/tiny-llama/model/tokenizer.json"

STRINGS = [
    # code
    "def fibonacci(n):\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)\n",
    "const x = await fetch(`https://api.example.com/v1/items/${id}?limit=20`);",
    "for (let i = 0; i < 10; i++) {\n\tconsole.log(i);\n}",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }",
    "SELECT id, name FROM users WHERE created_at > '2024-01-01' ORDER BY id DESC LIMIT 100;",
    "fn main() -> Result<(), Box<dyn Error>> { Ok(()) }",
    "    if x:\n        pass\n    else:\n        raise ValueError('bad')",
    "<div class=\"row\"><span id='a1'>&nbsp;&amp;</span></div>",
    # JSON and API calls
    "{\"operationId\": \"getPetById\", \"method\": \"GET\", \"path\": \"/pet/{petId}\", \"pathParams\": {\"petId\": \"42\"}}",
    "{\"query\":{\"status\":[\"available\",\"pending\"]},\"body\":null,\"headers\":{}}",
    "[1, 2.5, -3e10, true, false, null, \"\\u00e9\\n\"]",
    "{\n  \"name\": \"Rex\",\n  \"tags\": [\"dog\", \"good boy\"],\n  \"age\": 7\n}",
    # URLs and paths
    "https://petstore3.swagger.io/api/v3/pet/findByStatus?status=available&tags=dog",
    "http://localhost:8080/users/123/orders?page=2&per_page=50#section-3",
    "ftp://files.example.org/pub/2025/report_v2.final.pdf",
    "/var/log/nginx/access.log.1 and C:\\Program Files\\App\\app.exe",
    "mailto:someone@example.com?subject=Hello%20there",
    # unicode
    "Café naïve résumé coöperate façade déjà vu",
    "Ångström, Øresund, Łódź, Čeština, İstanbul",
    "Δ = b² − 4ac; ∑ᵢ xᵢ ≤ ∞; √2 ≈ 1.414",
    "Русский язык и українська мова",
    "עברית ועוד, العربية والفارسية",
    "हिन्दी भाषा, বাংলা, தமிழ்",
    "ไทย ภาษา, Tiếng Việt có dấu",
    # emoji
    "emoji 🚀🐶✨ and 👍🏽 👨‍👩‍👧‍👦 🇫🇷",
    "I ❤️ tokens 😀😃😄😁",
    # CJK
    "日本語のテキストとカタカナ、ひらがな。",
    "中文文本测试，包括标点符号！",
    "한국어 텍스트입니다. 감사합니다!",
    "混合 mixed 文本 text 123 数字",
    # whitespace runs
    "   ",
    "a  b   c    d     e",
    "\t\t\ttabs\t \t",
    "\n\n\n\nnewlines\r\n\r\nwindows",
    "trailing spaces   \n   leading spaces",
    " \u00a0 non-breaking \u2003 em \u2009 thin \u200b zero-width",
    "x  1  22   333",
    "\n 1\n\n2\t3",
    # digits
    "0",
    "1234567890",
    "3.14159 2.71828 -273.15 6.022e23 0xDEADBEEF 0b1010",
    "Call 555-0123 or +1 (800) 555-0199 ext. 42",
    "٣٤٥ ²³ ½ １２ Ⅻ ①②",
    "2025-11-27T06:30:00Z and 27/11/2025 at 6:30pm",
    "$1,299.99 (20% off) = €1.039,99",
    # special tokens inline
    "<|im_start|>user\nhi<|im_end|>",
    "text<|endoftext|>more text",
    "<|im_start|>assistant\n{\"a\": 1}<|im_end|>\n<|im_start|>user\n",
    "<repo_name>smolmap<file_sep>src/cli.ts<filename>",
    "a<|im_end|>b <|im_end|> c",
    # assorted
    "It's a dog's life, isn't it? I'd've thought so. We'll see; you're right, they've gone.",
    "IT'S SHOUTING, DON'T YOU THINK",
    "snake_case camelCase PascalCase kebab-case SCREAMING_SNAKE dot.case",
    "!!! ??? ... --- *** ___ ~~~ ``` ''' \"\"\"",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "The quick brown fox jumps over the lazy dog.",
    "pls updte usr jdoe email to j@x.io asap!!",
    "curl -X POST -H 'Content-Type: application/json' -d '{\"name\":\"Rex\"}' https://api.example.com/v1/pets",
    "UUID 1725ff48-ab45-4bb5-9d02-88745177dedb, sha256 e3b0c44298fc1c149afbf4c8996fb924",
    "Mr. O'Neil paid $1,299.99 (incl. 20% VAT) on 2025-01-16.",
    "### Heading\n\n- item one\n- item two\n\n> quote\n\n1. first\n2. second",
    "\u0000 control \u0007 bell \u001b[31mred\u001b[0m",
    "e\u0301 combining acute vs é precomposed",
    "",
]


def main() -> None:
    tj = json.loads(SOURCE.read_text())
    tiny = Tokenizer.from_str(json.dumps(tj))
    hub_json = dict(tj)
    hub_json["pre_tokenizer"] = {
        "type": "Sequence",
        "pretokenizers": [{"type": "Digits", "individual_digits": True}, tj["pre_tokenizer"]],
    }
    hub = Tokenizer.from_str(json.dumps(hub_json))
    cases = []
    for text in STRINGS:
        cases.append({
            "text": text,
            "hubIds": hub.encode(text, add_special_tokens=False).ids,
            "tinyIds": tiny.encode(text, add_special_tokens=False).ids,
        })
    # Special-token strings spelled as text (what untrusted user input must get).
    hub.encode_special_tokens = True
    for case in cases:
        case["hubIdsSpecialAsText"] = hub.encode(case["text"], add_special_tokens=False).ids
    out = {
        "producedBy": f"huggingface tokenizers {tokenizers.__version__} (Rust, via Python); gen-python-oracle.py",
        "hubPreTokenizer": hub_json["pre_tokenizer"],
        "cases": cases,
    }
    (HERE / "python-oracle.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n")
    print(len(cases), "cases;", sum(c["hubIds"] != c["tinyIds"] for c in cases), "differ between pre-tokenizers")


main()
