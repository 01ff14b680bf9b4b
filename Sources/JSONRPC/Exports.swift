// Every user of a connection handles JSON values; re-export them so one import suffices.
@_exported import JSON
