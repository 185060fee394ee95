from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
COMMAND_FIELD_NUMBER: _ClassVar[int]
command: _descriptor.FieldDescriptor
QUERY_FIELD_NUMBER: _ClassVar[int]
query: _descriptor.FieldDescriptor
EVENT_FIELD_NUMBER: _ClassVar[int]
event: _descriptor.FieldDescriptor
AGGREGATE_FIELD_NUMBER: _ClassVar[int]
aggregate: _descriptor.FieldDescriptor
VALUE_OBJECT_FIELD_NUMBER: _ClassVar[int]
value_object: _descriptor.FieldDescriptor
ERROR_EVENT_FIELD_NUMBER: _ClassVar[int]
error_event: _descriptor.FieldDescriptor
SERVICE_FIELD_NUMBER: _ClassVar[int]
service: _descriptor.FieldDescriptor

class CommandOptions(_message.Message):
    __slots__ = ("aggregate", "idempotent", "timeout_seconds", "tags", "summary", "description", "deprecated")
    AGGREGATE_FIELD_NUMBER: _ClassVar[int]
    ASYNC_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENT_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEPRECATED_FIELD_NUMBER: _ClassVar[int]
    aggregate: str
    idempotent: bool
    timeout_seconds: int
    tags: _containers.RepeatedScalarFieldContainer[str]
    summary: str
    description: str
    deprecated: bool
    def __init__(self, aggregate: _Optional[str] = ..., idempotent: _Optional[bool] = ..., timeout_seconds: _Optional[int] = ..., tags: _Optional[_Iterable[str]] = ..., summary: _Optional[str] = ..., description: _Optional[str] = ..., deprecated: _Optional[bool] = ..., **kwargs) -> None: ...

class QueryOptions(_message.Message):
    __slots__ = ("cacheable", "cache_ttl_seconds", "read_model", "tags", "summary", "description", "deprecated")
    CACHEABLE_FIELD_NUMBER: _ClassVar[int]
    CACHE_TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    READ_MODEL_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DEPRECATED_FIELD_NUMBER: _ClassVar[int]
    cacheable: bool
    cache_ttl_seconds: int
    read_model: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    summary: str
    description: str
    deprecated: bool
    def __init__(self, cacheable: _Optional[bool] = ..., cache_ttl_seconds: _Optional[int] = ..., read_model: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., summary: _Optional[str] = ..., description: _Optional[str] = ..., deprecated: _Optional[bool] = ...) -> None: ...

class EventOptions(_message.Message):
    __slots__ = ("event_type", "aggregate", "version")
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    event_type: str
    aggregate: str
    version: int
    def __init__(self, event_type: _Optional[str] = ..., aggregate: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class AggregateOptions(_message.Message):
    __slots__ = ("name", "repository")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    name: str
    repository: str
    def __init__(self, name: _Optional[str] = ..., repository: _Optional[str] = ...) -> None: ...

class ValueObjectOptions(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ErrorEventOptions(_message.Message):
    __slots__ = ("error_code", "retryable")
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    error_code: str
    retryable: bool
    def __init__(self, error_code: _Optional[str] = ..., retryable: _Optional[bool] = ...) -> None: ...

class ServiceOptions(_message.Message):
    __slots__ = ("module_name", "transport", "enable_openapi", "openapi_version", "openapi_info")
    MODULE_NAME_FIELD_NUMBER: _ClassVar[int]
    TRANSPORT_FIELD_NUMBER: _ClassVar[int]
    ENABLE_OPENAPI_FIELD_NUMBER: _ClassVar[int]
    OPENAPI_VERSION_FIELD_NUMBER: _ClassVar[int]
    OPENAPI_INFO_FIELD_NUMBER: _ClassVar[int]
    module_name: str
    transport: _containers.RepeatedScalarFieldContainer[str]
    enable_openapi: bool
    openapi_version: str
    openapi_info: OpenAPIInfo
    def __init__(self, module_name: _Optional[str] = ..., transport: _Optional[_Iterable[str]] = ..., enable_openapi: _Optional[bool] = ..., openapi_version: _Optional[str] = ..., openapi_info: _Optional[_Union[OpenAPIInfo, _Mapping]] = ...) -> None: ...

class OpenAPIInfo(_message.Message):
    __slots__ = ("title", "version", "description", "terms_of_service", "contact", "license")
    TITLE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TERMS_OF_SERVICE_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    title: str
    version: str
    description: str
    terms_of_service: str
    contact: OpenAPIContact
    license: OpenAPILicense
    def __init__(self, title: _Optional[str] = ..., version: _Optional[str] = ..., description: _Optional[str] = ..., terms_of_service: _Optional[str] = ..., contact: _Optional[_Union[OpenAPIContact, _Mapping]] = ..., license: _Optional[_Union[OpenAPILicense, _Mapping]] = ...) -> None: ...

class OpenAPIContact(_message.Message):
    __slots__ = ("name", "url", "email")
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    url: str
    email: str
    def __init__(self, name: _Optional[str] = ..., url: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class OpenAPILicense(_message.Message):
    __slots__ = ("name", "url")
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    name: str
    url: str
    def __init__(self, name: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...
