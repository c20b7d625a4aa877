"""Which models take images and PDFs: a small lookup by model-name family.

Meant to move into the model profiles (``chat_core/models.py``) once they exist; the two
functions keep their signatures. Sources: OpenAI's vision guide (GPT-4o, GPT-4.1, GPT-5,
o1, o3, o4-mini take images; chat completions take PDFs as ``file`` parts on the same
models), Anthropic's vision and PDF-support pages (every Claude 3+ model takes images;
PDFs from Claude 3.5 Sonnet / Haiku on), Ollama's vision models for OpenAI-compatible servers.
Generations after GPT-5 (the GPT-6 family, the app's default OpenAI models in chat_core/config.py)
are assumed to keep GPT-5's image input; if one did not, the provider's refusal is shown as
usual. An unknown model on a known provider is assumed to take images when its family does; on an
OpenAI-compatible server only names that say so (``llava``, ``-vision``, ``-vl``, ...).
"""

from __future__ import annotations

import re

_OPENAI_VISION = re.compile(
    r"^(chatgpt-4o|gpt-4o|gpt-4\.1|gpt-4\.5|gpt-4-turbo|gpt-[5-9]|o1(?!-mini)|o3(?!-mini)|o4)"
)
_OPENAI_NO_VISION = re.compile(r"(audio|realtime|search|transcribe|tts)")
_CLAUDE_NO_PDF = re.compile(r"^claude-3-(opus|sonnet|haiku)")  # the first Claude 3 models
_LOCAL_VISION = re.compile(
    r"(llava|vision|[-_.]vl\b|vl[-:]|qwen.*vl|gemma3|pixtral|minicpm-v|moondream|"
    r"granite3\.2-vision|mistral-small3\.[12])"
)


def accepts_images(provider: str, model: str) -> bool:
    """Whether ``model`` on ``provider`` ("openai", "anthropic", "openai-compatible",
    "demo") reads image input."""
    name = model.strip().lower()
    if provider == "demo":
        return True
    if provider == "anthropic":
        return name.startswith("claude") and not name.startswith("claude-2")
    if provider == "openai":
        return bool(_OPENAI_VISION.match(name)) and not _OPENAI_NO_VISION.search(name)
    return bool(_LOCAL_VISION.search(name))


def accepts_pdfs(provider: str, model: str) -> bool:
    """Whether ``model`` on ``provider`` reads PDF documents (Anthropic ``document`` blocks,
    OpenAI ``file`` parts). OpenAI-compatible servers: no (their OpenAI layers do not take
    ``file`` parts)."""
    name = model.strip().lower()
    if provider == "demo":
        return True
    if provider == "anthropic":
        return accepts_images(provider, model) and not _CLAUDE_NO_PDF.match(name)
    if provider == "openai":
        return accepts_images(provider, model)
    return False
