"""The option parser's usage errors, said in Traditional Chinese like every other message.

typer's vendored click words its errors in English ("No such option: --debug"); main() hands
each one here and prints the sentence and hint returned, never click's own text.
"""

from __future__ import annotations

import difflib
import re

_TYPE_NAMES = {"int": "整數", "integer": "整數", "float": "數字", "boolean": "是或否", "bool": "是或否"}


def _hint_of(error) -> str:
    """The option or argument an error is about, as the clerk typed it: --limit, ID."""
    hint = getattr(error, "param_hint", None)
    param = getattr(error, "param", None)
    if hint is None and param is not None:
        opts = [opt for opt in getattr(param, "opts", []) if opt.startswith("--")]
        if getattr(param, "param_type_name", "") == "argument":
            hint = param.metavar or (param.name or "").upper()
        else:
            hint = opts[0] if opts else param.name
    if isinstance(hint, (list, tuple)):
        hint = " / ".join(hint)
    return str(hint or "").strip("'\"")


def _value_problem(message: str) -> str:
    """click's sentence about a bad value, translated where its shape is known."""
    found = re.match(r"^'?(?P<value>.*?)'? is not a valid (?P<type>[\w ]+?)\.", message)
    if found:
        kind = _TYPE_NAMES.get(found["type"].removesuffix(" range"), found["type"])
        return f"「{found['value']}」不是{kind}"
    found = re.match(r"^(?P<value>\S+) is not in the range (?P<range>\S+?)\.?$", message)
    if found:
        bounds = re.fullmatch(r"(-?[\d.]+)<=?x<=?(-?[\d.]+)", found["range"])
        span = f"{bounds[1]}～{bounds[2]}" if bounds else found["range"]
        return f"{found['value']} 不在允許的範圍（{span}）內"
    found = re.match(r"^'?(?P<value>.*?)'? is not one of (?P<choices>.+?)\.?$", message)
    if found:
        return f"「{found['value']}」不是可用的值（可用：{found['choices']}）"
    return message


def translate(error, commands: list[str] | None = None) -> tuple[str, str | None]:
    """(message, hint) in Traditional Chinese for one of click's usage errors."""
    from typer._click import exceptions as click_errors

    ctx = getattr(error, "ctx", None)
    where = ctx.command_path if ctx is not None else "approval"
    help_hint = f"用 {where} --help 查看用法。"
    message = error.message if hasattr(error, "message") else str(error)

    if isinstance(error, click_errors.NoSuchOption):
        text = f"沒有「{error.option_name}」這個選項。"
        if error.possibilities:
            return text, f"您是不是要打：{'、'.join(sorted(error.possibilities))}？{help_hint}"
        return text, help_hint
    if isinstance(error, click_errors.MissingParameter):
        name = _hint_of(error)
        kind = "選項" if getattr(error.param, "param_type_name", "") == "option" else "參數"
        return f"缺少{kind}「{name}」。", help_hint
    if isinstance(error, click_errors.BadParameter):
        return f"「{_hint_of(error)}」的值不正確：{_value_problem(message)}。", help_hint
    if isinstance(error, click_errors.BadOptionUsage):
        if "requires" in message:
            return f"選項「{error.option_name}」後面要接一個值。", help_hint
        if "does not take a value" in message:
            return f"選項「{error.option_name}」不接受值。", help_hint
        return f"選項「{error.option_name}」的用法不對。", help_hint
    found = re.match(r"^Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*)\)$", message)
    if found:
        return f"多了參數：{found['args']}。", f"描述中有空白時可整段加上引號。{help_hint}"
    found = re.match(r"^No such command '(?P<name>.*?)'\.", message)
    if found:
        close = difflib.get_close_matches(found["name"], commands or [], n=3)
        suggestion = f"您是不是要打：{'、'.join(close)}？" if close else ""
        return f"沒有「{found['name']}」這個指令。", f"{suggestion}用 approval --help 查看所有指令。"
    if message.startswith("Missing command"):
        return "請指定要執行的指令。", "用 approval --help 查看所有指令。"
    return message, help_hint
