//! Logs as DevLake reads them: stdout lines become info logs and stderr lines error logs,
//! so records below ERROR go to stdout and ERROR to stderr, as `LEVEL: message`.

use std::fmt;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;

struct LevelColon;

impl<S, N> FormatEvent<S, N> for LevelColon
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write!(writer, "{}: ", event.metadata().level())?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Parses DevLake's `log_level` (`debug`, `info`, `warn`, `error`); anything else is info.
pub fn parse_level(level: Option<&str>) -> Level {
    match level.map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("debug") | Some("trace") => Level::DEBUG,
        Some("warn") | Some("warning") => Level::WARN,
        Some("error") => Level::ERROR,
        _ => Level::INFO,
    }
}

/// Installs the subscriber (once per process; later calls are ignored). Colours only when
/// both stdout and stderr are terminals: DevLake reads them through pipes and stores the
/// lines, where escape codes are noise.
pub fn init(level: Level) {
    use std::io::IsTerminal;
    let writer = std::io::stderr
        .with_max_level(Level::ERROR)
        .or_else(std::io::stdout);
    let ansi = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(ansi)
        .event_format(LevelColon)
        .with_writer(writer)
        .try_init();
}
