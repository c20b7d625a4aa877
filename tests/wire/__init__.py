"""The local OpenAI/Anthropic wire server, one module per concern (import it from
``tests.wire_server``)."""
