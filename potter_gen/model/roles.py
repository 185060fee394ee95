"""Which role each message plays: aggregate, event, error event, value object
or plain, from its potter option or inferred from AIP conventions.

Pure; no I/O. Problems are reported on the `BuildContext`.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2 as d

from potter_gen import options
from potter_gen._pb.potter import options_pb2 as ext
from potter_gen.errors import error
from potter_gen.ir import Message, MessageRole
from potter_gen.model.context import BuildContext


class MessageRoles:
    """The potter options of every message and the role each one plays.

    Args:
        context: the build's declarations and diagnostics.
        generate: the files to generate, in command-line order.

    Attributes:
        options: full name → potter options, for every message of the file set.
        inferred: full name → why, for the aggregates taken without (potter.aggregate).
    """

    def __init__(self, context: BuildContext, generate: list[d.FileDescriptorProto]) -> None:
        self.options = {
            full: options.read_message_options(decl.proto)
            for full, decl in context.declarations.items()
            if isinstance(decl.proto, d.DescriptorProto)
        }
        self.inferred = _inferred_aggregates(context, generate, self.options)

    def role_of(self, full: str) -> MessageRole:
        """Return the role of the message (or enum) `full`; PLAIN when it has no potter option."""
        opts = self.options.get(full)
        if full in self.inferred:
            return MessageRole.AGGREGATE
        if opts is None:
            return MessageRole.PLAIN
        if opts.aggregate:
            return MessageRole.AGGREGATE
        if opts.event:
            return MessageRole.EVENT
        if opts.error_event:
            return MessageRole.ERROR_EVENT
        if opts.is_value_object:
            return MessageRole.VALUE_OBJECT
        return MessageRole.PLAIN

    def check_single_role(self, context: BuildContext, messages: list[Message]) -> None:
        """Report messages with more than one of (potter.aggregate), (potter.event), (potter.error_event), (potter.value_object).

        A message plays one role; the builder would otherwise silently take
        the first of aggregate, event, error event, value object.
        """
        for message in messages:
            opts = self.options.get(message.full_name)
            if opts is None:
                continue
            given = [
                (option, number)
                for option, number, present in (
                    ("aggregate", ext.aggregate.number, opts.aggregate is not None),
                    ("event", ext.event.number, opts.event is not None),
                    ("error_event", ext.error_event.number, opts.error_event is not None),
                    ("value_object", ext.value_object.number, opts.is_value_object),
                )
                if present
            ]
            if len(given) > 1:
                context.report(
                    error(
                        f"message {message.name} is annotated as {' and '.join(f'(potter.{option})' for option, _ in given)}",
                        "Keep exactly one: a message is an aggregate, an event, an error event or a value object",
                        context.option_location(message, given[1][1]),
                    )
                )


def _inferred_aggregates(
    context: BuildContext, generate: list[d.FileDescriptorProto], message_options: dict[str, options.MessageOptions]
) -> dict[str, str]:
    """Return the messages taken as aggregates without (potter.aggregate): full name → why.

    A message of the generated files that carries no potter option is an
    aggregate when it is annotated `(google.api.resource)` (AIP-123), or
    when a standard method returns it: `Get<Name>` (AIP-131),
    `Create<Name>` (AIP-133) or `Update<Name>` (AIP-134) with output type `Name`.
    A query served from a named read model (`read_model`) returns a document,
    not a resource: it makes no aggregate.
    """
    declarations = context.declarations
    own = {full for full, decl in declarations.items() if decl.file_name in context.loaded.files_to_generate}
    reasons: dict[str, str] = {}
    for full in sorted(own):
        declaration = declarations[full]
        resource_type = options.read_resource_type(declaration.proto) if isinstance(declaration.proto, d.DescriptorProto) else ""
        if resource_type:
            reasons[full] = f"its (google.api.resource) type '{resource_type}'"
    for file_proto in generate:
        for service in file_proto.service:
            for method in service.method:
                query = options.read_query_options(method)
                if query is not None and query.read_model:
                    continue
                for verb in ("Get", "Create", "Update"):
                    noun = method.name.removeprefix(verb)
                    output = declarations.get(method.output_type)
                    if method.name.startswith(verb) and output is not None and output.proto.name == noun and method.output_type in own:
                        reasons.setdefault(method.output_type, f"{method.name} returning it (AIP standard methods)")
    return {full: why for full, why in reasons.items() if message_options.get(full) == options.MessageOptions()}
