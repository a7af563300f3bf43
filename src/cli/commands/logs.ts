import type { Command } from "commander";
import type { CommandContext } from "../program.js";
import { WsqError } from "../../shared/errors.js";

// Placeholder: `wsq logs` is registered so that help lists it; its implementation replaces this file.
export function registerLogsCommand(program: Command, _context: CommandContext): void {
  program
    .command("logs")
    .description("(not available in this build yet)")
    .allowUnknownOption()
    .action(() => {
      throw new WsqError("NOT_AVAILABLE", "`wsq logs` is not available in this build yet.");
    });
}
