public enum ByteStreamsPlaceholder {}
