"""The model builder in parts, one concern per module.

`potter_gen.build.build_project` runs them in order: `context` (the
declarations of the file set, locations, diagnostics), `roles` (which
message is an aggregate, event, error event or value object, declared or
inferred), `messages` (pydantic models and enums with their Python names),
`option_values` (every potter option value on its own), `aggregates` (aggregates,
events, error events), `services` (services, RPCs and their Python names) and
`package` (the project's Python package). Pure; no I/O.
"""
