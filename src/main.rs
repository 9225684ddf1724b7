//! `appxview`: the window, or a headless command (see `appxview --help`).

use clap::Parser as _;

use appxview::cli::{Cli, Command, inspect, rules_for, scan};
use appxview::ui::{App, NativePicker};

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Scan(args)) => {
            let code = match scan(&args, &mut std::io::stdout().lock()) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("appxview: {e}");
                    1
                }
            };
            std::process::exit(code);
        }
        Some(Command::Bench(args)) => {
            let code = match appxview::bench::run(&args, &mut std::io::stdout().lock()) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("appxview: {e}");
                    2
                }
            };
            std::process::exit(code);
        }
        Some(Command::Inspect(args)) => {
            let code = match inspect(
                &args,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr().lock(),
            ) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("appxview: {e}");
                    1
                }
            };
            std::process::exit(code);
        }
        None => {
            let rules = rules_for(true, &cli.rules);
            let options = eframe::NativeOptions {
                viewport: eframe::egui::ViewportBuilder::default()
                    .with_title("appxview")
                    .with_inner_size([1600.0, 900.0])
                    .with_drag_and_drop(true),
                ..Default::default()
            };
            let files = cli.files;
            let select = cli.select;
            let max_memory = cli.max_memory;
            let result = eframe::run_native(
                "appxview",
                options,
                Box::new(move |_cc| {
                    let mut app = App::new(rules, Box::new(NativePicker), Vec::new());
                    if let Some(limit) = max_memory {
                        app.set_memory_limit(limit);
                    }
                    app.apply(appxview::ui::Action::Open(files));
                    app.select_record_when_loaded(select);
                    Ok(Box::new(app))
                }),
            );
            if let Err(e) = result {
                eprintln!("appxview: cannot open a window: {e}");
                eprintln!("Headless use: appxview scan FILE… (see appxview scan --help)");
                std::process::exit(1);
            }
        }
    }
}
