import type { Command } from "commander";
import type { CommandContext } from "../program.js";
import { WsqError } from "../../shared/errors.js";

// Placeholder: `wsq status` is registered so that help lists it; its implementation replaces this file.
export function registerStatusCommand(program: Command, _context: CommandContext): void {
  program
    .command("status")
    .description("(not available in this build yet)")
    .allowUnknownOption()
    .action(() => {
      throw new WsqError("NOT_AVAILABLE", "`wsq status` is not available in this build yet.");
    });
}
