"""Templates: every email and page is laid out by a Jinja2 template in
`templates/`; the Python beside it only decides what is said.

- `.html` templates escape every value (autoescaping); `.txt` ones (the
  emails' plain text) escape nothing. A value is trusted markup only when
  the code made it `Markup` (a page's own style sheet).
- An `.html` template's line breaks and the indentation after them are not
  output: write one element a line, and a space where the page needs one,
  on the line it belongs to.
- Jinja2 loads with the first rendering, never with the app: the API's JSON
  answers do not pay for it."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"


def render(name: str, /, **values: Any) -> str:
    return _environment().get_template(name).render(**values)


def trusted(markup: str) -> Markup:
    """Markup the code itself wrote (a style sheet): placed as it is."""
    from markupsafe import Markup

    return Markup(markup)


@cache
def _environment() -> Environment:
    import jinja2
    from markupsafe import Markup

    class Loader(jinja2.FileSystemLoader):
        def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
            source, filename, uptodate = super().get_source(environment, template)
            if template.endswith(".html"):
                source = "".join(line.strip() for line in source.splitlines())
            return source, filename, uptodate

    @jinja2.pass_eval_context
    def finalize(context: jinja2.nodes.EvalContext, value: Any) -> Any:
        # Escaped as the standard library does (&quot; and &#x27;, where
        # MarkupSafe writes &#34; and &#39;): the same characters, spelled as
        # every email and page Careline has sent spells them.
        if context.autoescape and not hasattr(value, "__html__"):
            return Markup(escape(str(value)))
        return value

    def lines(text: str) -> Markup:
        """Text with its line breaks kept, as HTML."""
        return Markup(escape(text).replace("\n", "<br>"))

    environment = jinja2.Environment(
        loader=Loader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"], ["txt"], default_for_string=True, default=True),
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    environment.filters["lines"] = lines
    return environment
