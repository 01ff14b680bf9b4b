;;; braid-test.el --- Tests of braid.el, against the real `braid serve'  -*- lexical-binding: t -*-

;;; Commentary:

;; Run from the repository's root (editors/emacs/test/run does):
;;
;;   BRAID_BIN=/path/to/braid emacs --batch -Q -L editors/emacs \
;;     -l editors/emacs/test/braid-test.el -f ert-run-tests-batch-and-exit
;;
;; The scenario drives the real `braid serve' ($BRAID_BIN, default: braid
;; on PATH) on a temporary git repository.  Every wait polls a condition;
;; its timeout (BRAID_TEST_TIMEOUT seconds, default 240) only guards
;; against hangs.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'subr-x)
(require 'braid)

(defvar braid-test-bin
  (let ((name (or (getenv "BRAID_BIN") "braid")))
    (and (not (string-empty-p name)) (executable-find name)))
  "The braid executable under test.")

(defvar braid-test-long
  (string-to-number (or (getenv "BRAID_TEST_TIMEOUT") "240"))
  "Seconds a wait for agents, gates and merges may take before it fails.")

(defconst braid-test-short 30
  "Seconds a wait for one answer may take before it fails.")

(defconst braid-test-source
  (expand-file-name "../braid.el"
                    (file-name-directory (or load-file-name buffer-file-name)))
  "braid.el, for the byte-compilation test.")

(defun braid-test--say (format-string &rest args)
  "Print FORMAT-STRING with ARGS on its own line."
  (message "%s" (apply #'format format-string args)))

(defun braid-test--wait (what predicate &optional timeout detail)
  "Wait until PREDICATE holds, at most TIMEOUT seconds, for WHAT.
On time-out, fail with WHAT and the result of DETAIL (a function)."
  (let ((deadline (+ (float-time) (or timeout braid-test-long))))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (unless (funcall predicate)
      (ert-fail (format "timed out after %ss waiting: %s%s" (or timeout braid-test-long) what
                        (if detail (concat "\n" (funcall detail)) ""))))
    (braid-test--say "ok - %s" what)))

(defun braid-test--run (directory program &rest args)
  "Run PROGRAM with ARGS in DIRECTORY; its output, or a failure."
  (with-temp-buffer
    (let* ((default-directory directory)
           (code (apply #'call-process program nil t nil args)))
      (unless (eql code 0)
        (ert-fail (format "%s %s failed (%s): %s" program (string-join args " ")
                          code (buffer-string))))
      (buffer-string))))

(defun braid-test--write (file text &optional modes)
  "Write TEXT to FILE (making its folder), with MODES if given."
  (make-directory (file-name-directory file) t)
  (let ((coding-system-for-write 'utf-8-unix))
    (write-region text nil file nil 'silent))
  (when modes (set-file-modes file modes)))

(defun braid-test--text (buffer-or-name)
  "The text of BUFFER-OR-NAME, without properties."
  (with-current-buffer buffer-or-name
    (buffer-substring-no-properties (point-min) (point-max))))

(defun braid-test--board-line (title)
  "The line of the board that shows the task called TITLE, or nil."
  (cl-find-if (lambda (line) (string-match-p (regexp-quote title) line))
              (split-string (braid-test--text "*braid-board*") "\n")))

(defun braid-test--count (regexp text)
  "How many times REGEXP matches in TEXT."
  (let ((count 0) (start 0))
    (while (string-match regexp text start)
      (setq count (1+ count) start (match-end 0)))
    count))

(defun braid-test--script (text)
  "A task body whose ```sh block the script agent runs: TEXT."
  (concat "```sh\n" text "\n```\n"))

;;;; Without a server

(ert-deftest braid-test-finds-the-repository-from-a-task-worktree ()
  "A task worktree stands for the checkout that owns it."
  (let* ((repo (file-name-as-directory (file-truename (make-temp-file "braid-root-" t))))
         (worktree (expand-file-name ".braid/worktrees/1-task/src/" repo)))
    (unwind-protect
        (progn
          (make-directory (expand-file-name ".git/worktrees/1-task" repo) t)
          (make-directory worktree t)
          (braid-test--write (expand-file-name ".braid/worktrees/1-task/.git" repo)
                             (format "gitdir: %s.git/worktrees/1-task\n" repo))
          (should (equal (braid--find-root repo) repo))
          (should (equal (braid--find-root (expand-file-name "sub/" repo)) repo))
          (should (equal (braid--find-root worktree) repo)))
      (delete-directory repo t))))

(ert-deftest braid-test-log-output-is-appended-once ()
  "Output already shown is not shown again, even when it overlaps."
  (with-temp-buffer
    (braid-log-mode)
    (setq braid--buffer-task 7 braid--log-session nil braid--log-next 0 braid--log-pending t)
    (braid--log-output "s1" 0 "héllo\n")
    ;; "héllo\n" is 7 bytes: the first 3 of these were shown.
    (braid--log-output "s1" 4 "lo\nworld\n")
    (braid--log-output "s1" 0 "héllo\n")
    (braid--log-output "s2" 0 "again\n")
    (should (equal (buffer-string)
                   (concat "==> #7, session s1\nhéllo\nworld\n"
                           "\n==> #7, session s2\nagain\n")))))

(ert-deftest braid-test-escalation-answers ()
  "The choice is the answer; Retry may carry guidance; quitting answers nil."
  (let ((params '(:type 2 :message "#3 was escalated: gate failed at check"
                        :actions [(:title "Retry") (:title "Reassign") (:title "Abandon")]))
        (braid-escalation-ask-details t)
        seen)
    (cl-letf (((symbol-function 'completing-read)
               (lambda (prompt collection &rest _)
                 (setq seen (list prompt collection))
                 "Abandon")))
      (should (equal (braid--ask params) '(:title "Abandon")))
      (should (string-match-p "#3 was escalated" (car seen)))
      (should (equal (cadr seen) '("Retry" "Reassign" "Abandon"))))
    (cl-letf (((symbol-function 'completing-read) (lambda (&rest _) "Retry"))
              ((symbol-function 'read-string) (lambda (&rest _) "mind bad.txt")))
      (should (equal (braid--ask params) '(:title "Retry" :guidance "mind bad.txt"))))
    (cl-letf (((symbol-function 'completing-read) (lambda (&rest _) "Reassign"))
              ((symbol-function 'read-string) (lambda (&rest _) "")))
      (should (equal (braid--ask params) '(:title "Reassign"))))
    (cl-letf (((symbol-function 'completing-read) (lambda (&rest _) (signal 'quit nil))))
      (should (null (braid--ask params))))))

(ert-deftest braid-test-escalation-is-answered-out-of-the-filter ()
  "The answer to window/showMessageRequest is sent later, with its id; a dismissal is null."
  (let* ((dir (make-temp-file "braid-wire-" t))
         (wire (expand-file-name "wire" dir))
         (process nil)
         (conn (make-instance
                'braid-rpc-connection
                :name "braid-wire-test"
                :request-dispatcher #'braid--dispatch-request
                :process (lambda ()
                           (setq process
                                 (make-process :name "braid-wire-test"
                                               :command (list "sh" "-c" (format "cat > '%s'" wire))
                                               :connection-type 'pipe :noquery t
                                               :stderr (get-buffer-create "*braid-wire-test stderr*"))))))
         (answers (list "Abandon" nil))
         (request (lambda (id)
                    (jsonrpc-connection-receive
                     conn `(:jsonrpc "2.0" :id ,id :method "window/showMessageRequest"
                                     :params (:type 2 :message "#4 was escalated: gate failed"
                                                    :actions [(:title "Retry") (:title "Reassign")
                                                              (:title "Abandon")]))))))
    (unwind-protect
        (cl-letf (((symbol-function 'completing-read)
                   (lambda (&rest _)
                     (let ((answer (pop answers)))
                       (or answer (signal 'quit nil))))))
          (funcall request 41)
          ;; Nothing is sent from inside the dispatcher.
          (should (equal answers '("Abandon" nil)))
          (braid-test--wait "the answer is sent from a timer" (lambda () (null (cdr answers))) 5)
          (funcall request 42)
          (braid-test--wait "the dismissal is sent" (lambda () (null answers)) 5)
          (process-send-eof process)
          (braid-test--wait "the wire is written"
                            (lambda () (not (jsonrpc-running-p conn))) 5)
          (let ((text (with-temp-buffer (insert-file-contents wire) (buffer-string))))
            (should (string-match-p "\"id\":41,\"result\":{\"title\":\"Abandon\"}" text))
            (should (string-match-p "\"id\":42,\"result\":null" text))))
      (ignore-errors (jsonrpc-shutdown conn t))
      (delete-directory dir t))))

(ert-deftest braid-test-mode-line-counts ()
  "The lighter counts running, queued and blocked tasks."
  (let ((braid--tasks (make-hash-table)))
    (braid--store-task '(:id 1 :section "inProgress" :runningSession "s1" :queued :json-false))
    (braid--store-task '(:id 2 :section "review" :queued t))
    (braid--store-task '(:id 3 :section "blocked" :queued :json-false))
    (braid--store-task '(:id 4 :section "blocked" :queued :json-false))
    (should (equal (braid-counts) '(:running 1 :queued 1 :blocked 2)))
    (cl-letf (((symbol-function 'braid--live-p) (lambda () t)))
      (should (equal (braid-mode-line-string) " Braid[R1 Q1 B2]")))
    (cl-letf (((symbol-function 'braid--live-p) (lambda () nil)))
      (should (equal (braid-mode-line-string) " Braid[-]")))))

(ert-deftest braid-test-byte-compiles-without-warnings ()
  "braid.el byte-compiles with warnings as errors."
  (let* ((dir (make-temp-file "braid-compile-" t))
         (copy (expand-file-name "braid.el" dir))
         (byte-compile-error-on-warn t))
    (unwind-protect
        (progn
          (copy-file braid-test-source copy)
          (should (byte-compile-file copy))
          (should (file-exists-p (concat copy "c"))))
      (delete-directory dir t))))

;;;; The scenario, against the real server

(ert-deftest braid-test-scenario-against-the-real-server ()
  "Add, run, Done on the board, diff, log, an escalation answered, shutdown."
  (unless braid-test-bin
    (ert-fail (format "the braid executable is not found (BRAID_BIN=%s)" (getenv "BRAID_BIN"))))
  (let* ((repo (file-name-as-directory (file-truename (make-temp-file "braid-emacs-" t))))
         (process-environment (cons "BRAID_DAEMON_IDLE_SECONDS=120" process-environment))
         (braid-executable braid-test-bin)
         (braid-root nil)
         (braid-escalation-ask-details t)
         (default-directory repo)
         (answers (list "Retry" "Abandon"))
         (asked '())
         (guidance-asked nil)
         (worktree-while-asked nil)
         first second)
    (braid-test--say "# %s" (string-trim (braid-test--run repo braid-test-bin "version")))
    (braid-test--say "# repository %s" repo)
    (unwind-protect
        (cl-letf (((symbol-function 'completing-read)
                   ;; The user, asked about an escalation: Retry first, then Abandon.
                   (lambda (prompt collection &rest _)
                     (push (list prompt (all-completions "" collection)
                                 (and second (plist-get (braid-task second) :section)))
                           asked)
                     (braid-test--say "  completing-read: %s" prompt)
                     (when (equal (car answers) "Abandon")
                       ;; The worktree is still there while the task waits.
                       (let ((dired (braid-open-worktree second)))
                         (setq worktree-while-asked
                               (and dired (buffer-local-value 'default-directory dired)))))
                     (pop answers)))
                  ((symbol-function 'read-string)
                   (lambda (prompt &rest _)
                     (setq guidance-asked prompt)
                     "bad.txt must not stay")))
          ;; A small repository: a gate that fails while bad.txt exists, no
          ;; retries, tasks land by themselves.
          (braid-test--run repo "git" "init" "-q" "-b" "main")
          (braid-test--run repo "git" "config" "user.name" "Braid Test")
          (braid-test--run repo "git" "config" "user.email" "braid-test@example.invalid")
          (braid-test--write (expand-file-name "check.sh" repo)
                             (concat "#!/bin/sh\n"
                                     "if [ -f bad.txt ]; then echo \"GATE: bad.txt is there\" >&2; exit 1; fi\n"
                                     "exit 0\n")
                             #o755)
          (braid-test--write (expand-file-name "README.md" repo) "# A small project\n")
          (braid-test--run repo "git" "add" "-A")
          (braid-test--run repo "git" "commit" "-q" "-m" "start")
          (braid-test--write (expand-file-name ".braid/config.json" repo)
                             (concat "{\"baseBranch\": \"main\", \"maxRetries\": 0,\n"
                                     " \"gate\": [{\"name\": \"check\", \"run\": [\"./check.sh\"]}],\n"
                                     " \"mergeQueue\": {\"auto\": true}}\n"))

          ;; The board: braid-status starts braid serve.
          (let ((board (braid-status)))
            (should (equal (buffer-name board) "*braid-board*"))
            (should (eq (buffer-local-value 'major-mode board) 'braid-board-mode)))
          (should (braid--live-p))
          (should braid-mode)
          (should (equal braid--root repo))

          ;; A task that writes a file, run by the script agent, lands.
          (let ((task (braid-add "Write hello"
                                 (concat "Writes hello.txt.\n\n"
                                         (braid-test--script
                                          "echo \"writing hello.txt\"\necho \"hello from braid\" > hello.txt")))))
            (setq first (plist-get task :id))
            (should (integerp first))
            (should (equal (plist-get task :section) "todo")))
          (braid-test--wait "the board shows the new task"
                            (lambda () (braid-test--board-line "Write hello"))
                            braid-test-short)
          (braid-run)
          (braid-test--wait
           (format "#%d is Done" first)
           (lambda () (equal (plist-get (braid-task first) :section) "done"))
           braid-test-long
           (lambda () (format "%S\n%s" (braid-task first) (braid-test--text "*braid-board*"))))
          (braid-test--wait "the board buffer shows it Done"
                            (lambda ()
                              (let ((line (braid-test--board-line "Write hello")))
                                (and line (string-match-p "\\_<Done\\_>" line)
                                     (string-match-p "landed: [0-9a-f]+" line))))
                            braid-test-short
                            (lambda () (braid-test--text "*braid-board*")))
          (braid-test--say "%s" (braid-test--text "*braid-board*"))
          (braid-test--wait "merge/landed is in *braid-events*"
                            (lambda () (string-match-p (format "#%d landed" first)
                                                       (braid-test--text "*braid-events*")))
                            braid-test-short
                            (lambda () (braid-test--text "*braid-events*")))
          (should (equal (braid-test--run repo "git" "show" "main:hello.txt") "hello from braid\n"))

          ;; Its diff.
          (let ((diff (braid-diff first)))
            (should (equal (buffer-name diff) (format "*braid-diff #%d*" first)))
            (with-current-buffer diff
              (should (eq major-mode 'diff-mode))
              (should (member "+hello from braid" (split-string (braid-test--text diff) "\n")))
              (should (string-match-p "b/hello.txt" (braid-test--text diff)))))
          (braid-test--say "ok - the diff buffer is in diff-mode and has the added line")

          ;; Its log.
          (let ((log (braid-log first)))
            (braid-test--wait "braid-log shows the session's output"
                              (lambda () (string-match-p "writing hello.txt" (braid-test--text log)))
                              braid-test-short
                              (lambda () (braid-test--text log))))

          ;; A task whose gate fails is escalated; its log is followed from
          ;; before its session starts.
          (setq second (plist-get (braid-add "Break the gate"
                                             (braid-test--script "echo \"writing bad.txt\"\necho bad > bad.txt"))
                                  :id))
          (let ((log (braid-log second)))
            (braid-run)
            (braid-test--wait (format "#%d is escalated and completing-read asks" second)
                              (lambda () asked)
                              braid-test-long
                              (lambda () (format "%S" (braid-task second))))
            (let ((question (car asked)))
              (should (string-match-p (format "#%d was escalated" second) (nth 0 question)))
              (should (equal (nth 1 question) '("Retry" "Reassign" "Abandon")))
              (should (equal (nth 2 question) "blocked")))
            ;; Retry, with guidance: the task runs again, fails again, and is asked about again.
            (braid-test--wait "the server acts on Retry"
                              (lambda () (string-match-p (format "#%d retried" second)
                                                         (braid-test--text "*braid-events*")))
                              braid-test-short
                              (lambda () (braid-test--text "*braid-events*")))
            (should (string-match-p "Guidance" guidance-asked))
            (braid-test--wait (format "#%d is escalated again and answered Abandon" second)
                              (lambda () (= (length asked) 2))
                              braid-test-long
                              (lambda () (format "%S" (braid-task second))))
            (braid-test--wait (format "#%d is abandoned (blocked, the reason says so)" second)
                              (lambda ()
                                (let ((task (braid-task second)))
                                  (and (equal (plist-get task :section) "blocked")
                                       (string-match-p "abandon" (or (plist-get task :blockedReason) "")))))
                              braid-test-long
                              (lambda () (format "%S" (braid-task second))))
            (braid-test--wait "the server says so in *braid-events*"
                              (lambda () (string-match-p (format "#%d abandoned" second)
                                                         (braid-test--text "*braid-events*")))
                              braid-test-short
                              (lambda () (braid-test--text "*braid-events*")))
            (should (string-prefix-p (file-name-as-directory (expand-file-name ".braid/worktrees" repo))
                                     (or worktree-while-asked "")))
            (braid-test--say "ok - braid-open-worktree opened %s while the task waited" worktree-while-asked)
            (braid-test--wait "the board shows it Blocked, abandoned"
                              (lambda ()
                                (let ((line (braid-test--board-line "Break the gate")))
                                  (and line (string-match-p "\\_<Blocked\\_>" line)
                                       (string-match-p "abandon" line))))
                              braid-test-short
                              (lambda () (braid-test--text "*braid-board*")))
            (braid-test--wait "the followed log has both sessions' output"
                              (lambda ()
                                (let ((text (braid-test--text log)))
                                  (and (= (braid-test--count (format "^==> #%d, session " second) text) 2)
                                       (= (braid-test--count "^writing bad.txt$" text) 2))))
                              braid-test-short
                              (lambda () (braid-test--text log)))
            (braid-test--say "%s" (braid-test--text log)))
          (braid-test--say "%s" (braid-test--text "*braid-board*"))
          (should (equal (length asked) 2))
          (should (equal (braid-mode-line-string) " Braid[R0 Q0 B1]"))

          ;; The task's detail, from the board.
          (with-current-buffer "*braid-board*"
            (braid--board-goto first)
            (should (eql (tabulated-list-get-id) first))
            (let ((detail (call-interactively #'braid-task-detail)))
              (should (string-match-p "section +Done" (braid-test--text detail)))
              (should (string-match-p "Sessions (1)" (braid-test--text detail)))))

          ;; The session ends cleanly.
          (let ((process braid--process))
            (braid-shutdown)
            (should-not (process-live-p process))
            (should (eql braid-last-exit-status 0))
            (should-not (braid--live-p))
            (should (equal (braid-mode-line-string) " Braid[-]")))
          (braid-test--say "ok - braid serve exited with 0 after shutdown and exit"))
      ;; Whatever happened: the server, the daemon and the repository go.
      (ignore-errors (braid-shutdown))
      (with-temp-buffer
        (let ((default-directory repo))
          (call-process braid-test-bin nil t nil "daemon" "stop")
          (braid-test--say "# braid daemon stop: %s" (string-trim (buffer-string)))))
      (dolist (name '("*braid-board*" "*braid-events*"))
        (when (get-buffer name) (kill-buffer name)))
      (dolist (buffer (buffer-list))
        (when (string-prefix-p repo (or (buffer-local-value 'default-directory buffer) ""))
          (kill-buffer buffer)))
      (delete-directory repo t))))

(provide 'braid-test)
;;; braid-test.el ends here
