# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module test catches the module's exit and collects its warnings (module_harness.warnings, autouse)."""

from __future__ import annotations

from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.module_harness import warnings  # noqa: F401 pylint: disable=unused-import
